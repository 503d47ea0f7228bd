/**
 * The scripts that bootstrap and maintain the cluster's VMs, rendered as text by pure
 * functions (no Pulumi here). Where each runs:
 * - startup scripts (root, every boot): renderPrepareNodeScript (every Kubernetes node),
 *   renderPrepareHaproxyScript (the HAProxy VM);
 * - remote commands, wrapped by asRootCommand (data and secrets on stdin, never in the script):
 *   renderApplyHaproxyConfigScript (HAProxy VM, once per config file: API, ingress), renderInitControlPlaneScript (first control
 *   plane), renderJoinNodeScript (each joining node), renderIssueJoinTokenScript and
 *   renderRemoveNodeScript (first control plane, per node), renderLeaveControlPlaneScript (a
 *   leaving control plane).
 * One concern per file: shared shell pieces, node preparation, HAProxy, kubeadm init/join,
 * membership (tokens, removal).
 */
export { asRootCommand, NODE_PATHS, ROOT_SCRIPT_DELIMITER, SYSTEM_PATHS } from "./node-scripts-shell";
export { KUBERNETES_KERNEL_MODULES, KUBERNETES_SYSCTLS, renderPrepareNodeScript } from "./node-scripts-prepare";
export { HAPROXY_DROP_IN, HAPROXY_FILES, HAPROXY_PREPARED_WAIT_SECONDS, type HaproxyConfigPart, renderApplyHaproxyConfigScript, renderPrepareHaproxyScript } from "./node-scripts-haproxy";
export { NODE_PREPARED_WAIT_SECONDS, renderInitControlPlaneScript, renderJoinNodeScript } from "./node-scripts-kubeadm";
export { API_WAIT_SECONDS } from "./node-scripts-drain";
export { JOIN_TOKEN_TTL, renderIssueJoinTokenScript, renderLeaveControlPlaneScript, renderRemoveNodeScript } from "./node-scripts-membership";
