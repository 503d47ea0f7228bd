/**
 * The scripts that bootstrap and maintain the cluster's VMs, rendered as text by pure
 * functions (no Pulumi here). Where each runs:
 * - startup scripts (root, every boot): renderPrepareNodeStartupScript (every Kubernetes node: it
 *   installs renderPrepareNodeScript and the systemd unit that retries it until it succeeds),
 *   renderPrepareHaproxyScript (the HAProxy VM);
 * - remote commands, wrapped by asRootCommand (data and secrets on stdin, never in the script):
 *   renderApplyHaproxyConfigScript (HAProxy VM, once per config file: API, ingress),
 *   renderBringUpControlPlaneScript (each control plane, on itself: init once, else join),
 *   renderJoinWorkerScript (cp-0, per worker: mints the attempt's token and runs renderJoinNodeScript
 *   on the worker over SSH), renderRemoveNodeScript (a control plane, per node; for a control plane
 *   also its etcd member), renderRollStartScript and renderRollFinishScript (a control plane, around
 *   a node's VM change or upgrade).
 * One concern per file: shared shell pieces, node preparation, HAProxy, joins, control-plane
 * bring-up, draining, removal, etcd membership, rolls, upgrades.
 */
export { asRootCommand, NODE_PATHS, ROOT_SCRIPT_DELIMITER, SYSTEM_PATHS } from "./node-scripts-shell";
export { KUBERNETES_KERNEL_MODULES, KUBERNETES_SYSCTLS, renderPrepareNodeScript } from "./node-scripts-prepare";
export { renderPrepareNodeStartupScript } from "./node-scripts-prepare-installer";
export {
    HAPROXY_DROP_IN,
    HAPROXY_FILES,
    HAPROXY_PREPARED_WAIT_SECONDS,
    type HaproxyConfigPart,
    renderApplyHaproxyConfigScript,
    renderPrepareHaproxyScript,
} from "./node-scripts-haproxy";
export {
    JOIN_PATHS,
    JOIN_TOKEN_TTL,
    NODE_PREPARED_WAIT_SECONDS,
    NODE_SSH_WAIT_SECONDS,
    renderJoinNodeScript,
    renderJoinWorkerScript,
} from "./node-scripts-join";
export { CLUSTER_PROBE_SECONDS, CONTROL_PLANE_BRING_UP_PATHS, renderBringUpControlPlaneScript } from "./node-scripts-control-plane";
export { ROLL_LEASE, renderRollFinishScript, renderRollStartScript } from "./node-scripts-roll";
export { API_WAIT_SECONDS } from "./node-scripts-drain";
export { READY_HEARTBEAT_STALE_SECONDS, removalTimeBoundSeconds, type RemoveNodeInput, renderRemoveNodeScript } from "./node-scripts-remove";
// In-place upgrades (kubeadm upgrade apply/node, kubelet), each on the node it upgrades.
export {
    type ControlPlaneUpgradeInput,
    KUBELET_HEALTHZ_URL,
    renderUpgradeControlPlaneScript,
    renderUpgradeFirstControlPlaneScript,
    renderUpgradeWorkerScript,
} from "./node-scripts-upgrade";
