import { MONITORING_NAMESPACE, GRAFANA } from "./monitoring-objects";
import { ISTIO_ROOT_NAMESPACE } from "./istio-objects";
import { GRAFANA_PORT_FORWARD_URL } from "./kiali-values";

/**
 * Commands the stack outputs, so the docs name no stack's own addresses or instances: each is
 * built from what this stack declares, and the same for every stack.
 */

/** Where `sshCommand` expects the program's key (`pulumi stack output sshPrivateKey --show-secrets`). */
export const SSH_KEY_FILE_PLACEHOLDER = "<key file>";

/** Grafana's Service port in kube-prometheus-stack (the grafana subchart's default). */
export const GRAFANA_SERVICE_PORT = 80;
/** Kiali's Service (the chart's deployment.instance_name) and its port (server.port), kiali-server's defaults. */
export const KIALI_SERVICE = { name: "kiali", port: 20001 } as const;

/** The shop through HAProxy's public address (its HTTP frontend to the workers' Istio gateway). */
export function shopUrl(haproxyPublicIp: string): string {
    return `http://${haproxyPublicIp}/`;
}

/**
 * SSH to a node as `pulumi up` reaches it (components/cluster/ssh.ts): the program's user and key, through
 * HAProxy as bastion. ProxyCommand, not -J: -J's hop would not use the -i key file.
 */
export function sshCommand(args: { readonly user: string; readonly bastionIp: string; readonly nodeIp: string }): string {
    const key = SSH_KEY_FILE_PLACEHOLDER;
    return `ssh -i ${key} -o ProxyCommand="ssh -i ${key} -W %h:%p ${args.user}@${args.bastionIp}" ${args.user}@${args.nodeIp}`;
}

/** SSH through Google's IAP TCP forwarding (the firewall admits its range on port 22), by instance name. */
export function iapSshCommand(args: { readonly instance: string; readonly zone: string; readonly project: string }): string {
    return `gcloud compute ssh ${args.instance} --zone ${args.zone} --project ${args.project} --tunnel-through-iap`;
}

/** Grafana on the local port Kiali's links open (GRAFANA_PORT_FORWARD_URL). */
export const GRAFANA_PORT_FORWARD = `kubectl -n ${MONITORING_NAMESPACE} port-forward svc/${GRAFANA.service} ${new URL(GRAFANA_PORT_FORWARD_URL).port}:${GRAFANA_SERVICE_PORT}`;

/** Kiali's console, http://localhost:20001 (login with a Kubernetes token). */
export const KIALI_PORT_FORWARD = `kubectl -n ${ISTIO_ROOT_NAMESPACE} port-forward svc/${KIALI_SERVICE.name} ${KIALI_SERVICE.port}:${KIALI_SERVICE.port}`;
