import {
    renderApplyHaproxyConfigScript,
    renderCordonAndDrainScript,
    renderInitControlPlaneScript,
    renderIssueJoinTokenScript,
    renderJoinNodeScript,
    renderLeaveControlPlaneScript,
    renderPrepareHaproxyScript,
    renderPrepareNodeScript,
    renderPrepareNodeStartupScript,
    renderRemoveNodeScript,
    renderUncordonScript,
} from "../../components/node-scripts";
import { renderWorkersReadyScript } from "../../components/workers-ready-script";
import { renderInstallEtcdBackupScript } from "../../components/etcd-backup-units";
import { renderEtcdBackupScript } from "../../components/node-scripts-etcd-backup";
import { renderEtcdRestoreScript } from "../../components/node-scripts-etcd-restore";
import { etcdScriptSettings } from "./etcd-backup-fixtures";
import { renderUpgradeControlPlaneScript, renderUpgradeFirstControlPlaneScript, renderUpgradeWorkerScript } from "../../components/node-scripts";

export interface RenderedScript {
    readonly label: string;
    readonly script: string;
}

/** Every node script, rendered with representative inputs (both token kinds). */
export function renderedScripts(): RenderedScript[] {
    return [
        { label: "prepare-node (1.32.4)", script: renderPrepareNodeScript({ kubernetesVersion: { minor: 32, patch: 4 } }) },
        { label: "install-prepare-node (startup script, 1.32.4)", script: renderPrepareNodeStartupScript({ kubernetesVersion: { minor: 32, patch: 4 } }) },
        { label: "prepare-haproxy", script: renderPrepareHaproxyScript() },
        { label: "apply-haproxy-api-config", script: renderApplyHaproxyConfigScript("api") },
        { label: "apply-haproxy-ingress-config", script: renderApplyHaproxyConfigScript("ingress") },
        { label: "init-control-plane", script: renderInitControlPlaneScript() },
        { label: "join-node", script: renderJoinNodeScript() },
        { label: "issue-join-token, worker", script: renderIssueJoinTokenScript({ nodeName: "boutique-worker-3", uploadCertificates: false }) },
        { label: "issue-join-token, control plane", script: renderIssueJoinTokenScript({ nodeName: "boutique-cp-1", uploadCertificates: true }) },
        { label: "remove-node, worker", script: renderRemoveNodeScript({ nodeName: "boutique-worker-3", drainTimeoutSeconds: 300 }) },
        { label: "remove-node, control plane", script: renderRemoveNodeScript({ nodeName: "boutique-cp-2", drainTimeoutSeconds: 300, controlPlane: true }) },
        { label: "cordon-and-drain", script: renderCordonAndDrainScript({ nodeName: "boutique-worker-3", drainTimeoutSeconds: 300 }) },
        { label: "uncordon, any kubelet", script: renderUncordonScript({ nodeName: "boutique-worker-3", readyWaitSeconds: 600 }) },
        { label: "uncordon, kubelet v1.32.4", script: renderUncordonScript({ nodeName: "boutique-worker-3", kubeletVersion: "v1.32.4", readyWaitSeconds: 600 }) },
        { label: "leave-control-plane", script: renderLeaveControlPlaneScript({ nodeName: "boutique-cp-1", drainTimeoutSeconds: 300 }) },
        { label: "workers-ready, 2 workers", script: renderWorkersReadyScript({ minReadyWorkers: 2 }) },
        { label: "workers-ready, none (scale from zero)", script: renderWorkersReadyScript({ minReadyWorkers: 0 }) },
        { label: "etcd-backup", script: renderEtcdBackupScript(etcdScriptSettings()) },
        { label: "etcd-restore, three members", script: renderEtcdRestoreScript(etcdScriptSettings({ expectedMembers: 3 })) },
        { label: "install-etcd-backup", script: renderInstallEtcdBackupScript("*-*-* *:00:00") },
        { label: "upgrade-first-control-plane (to 1.33.1)", script: renderUpgradeFirstControlPlaneScript({ nodeName: "boutique-cp-0", to: { minor: 33, patch: 1 }, drainTimeoutSeconds: 300 }) },
        { label: "upgrade-control-plane (to 1.33.1)", script: renderUpgradeControlPlaneScript({ nodeName: "boutique-cp-1", to: { minor: 33, patch: 1 }, drainTimeoutSeconds: 300 }) },
        { label: "upgrade-worker (to 1.33.1)", script: renderUpgradeWorkerScript({ to: { minor: 33, patch: 1 } }) },
    ];
}
