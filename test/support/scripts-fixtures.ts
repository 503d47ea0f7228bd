import {
    renderApplyHaproxyConfigScript,
    renderInitControlPlaneScript,
    renderIssueJoinTokenScript,
    renderJoinNodeScript,
    renderLeaveControlPlaneScript,
    renderPrepareHaproxyScript,
    renderPrepareNodeScript,
    renderRemoveNodeScript,
} from "../../components/node-scripts";
import { renderWorkersReadyScript } from "../../components/workers-ready-script";

export interface RenderedScript {
    readonly label: string;
    readonly script: string;
}

/** Every node script, rendered with representative inputs (both token kinds). */
export function renderedScripts(): RenderedScript[] {
    return [
        { label: "prepare-node (1.32.4)", script: renderPrepareNodeScript({ kubernetesVersion: { minor: 32, patch: 4 } }) },
        { label: "prepare-haproxy", script: renderPrepareHaproxyScript() },
        { label: "apply-haproxy-api-config", script: renderApplyHaproxyConfigScript("api") },
        { label: "apply-haproxy-ingress-config", script: renderApplyHaproxyConfigScript("ingress") },
        { label: "init-control-plane", script: renderInitControlPlaneScript() },
        { label: "join-node", script: renderJoinNodeScript() },
        { label: "issue-join-token, worker", script: renderIssueJoinTokenScript({ nodeName: "boutique-worker-3", uploadCertificates: false }) },
        { label: "issue-join-token, control plane", script: renderIssueJoinTokenScript({ nodeName: "boutique-cp-1", uploadCertificates: true }) },
        { label: "remove-node", script: renderRemoveNodeScript({ nodeName: "boutique-worker-3", drainTimeoutSeconds: 300 }) },
        { label: "leave-control-plane", script: renderLeaveControlPlaneScript({ nodeName: "boutique-cp-1", drainTimeoutSeconds: 300 }) },
        { label: "workers-ready, 2 workers", script: renderWorkersReadyScript({ minReadyWorkers: 2 }) },
        { label: "workers-ready, none (scale from zero)", script: renderWorkersReadyScript({ minReadyWorkers: 0 }) },
    ];
}
