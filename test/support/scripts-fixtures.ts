import { renderReleaseVolumesScript } from "../../components/platform/volume-release-script";
import {
    renderApplyHaproxyConfigScript,
    renderBringUpControlPlaneScript,
    renderJoinNodeScript,
    renderJoinWorkerScript,
    renderPrepareHaproxyScript,
    renderPrepareNodeScript,
    renderPrepareNodeStartupScript,
    renderRemoveNodeScript,
    renderRollFinishScript,
    renderRollStartScript,
    renderUpgradeControlPlaneScript,
    renderUpgradeFirstControlPlaneScript,
    renderUpgradeWorkerScript,
} from "../../components/cluster/rendered/node-scripts";
import { renderWorkersReadyScript } from "../../components/cluster/rendered/workers-ready-script";
import { renderInstallEtcdBackupScript } from "../../components/cluster/rendered/etcd-backup-units";
import { renderEtcdBackupScript } from "../../components/cluster/rendered/node-scripts-etcd-backup";
import { renderEtcdRestoreScript } from "../../components/cluster/rendered/node-scripts-etcd-restore";
import { etcdScriptSettings } from "./etcd-backup-fixtures";

const ROLL_TEMPLATE = {
    image: "ubuntu-os-cloud/ubuntu-2404-lts-amd64",
    diskSizeGb: 50,
    machineType: "e2-standard-4",
    kubernetesVersion: { minor: 32, patch: 4 },
};

/** The replaced cp-0 of a cluster with one control plane. */
const ONLY_CONTROL_PLANE = { nodeName: "boutique-cp-0", nodeAddress: "10.10.0.8", apiServerEndpoint: "10.10.0.2:6443", mayInitialize: false } as const;

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
        {
            label: "init-cluster (bring-up that may initialize)",
            script: renderBringUpControlPlaneScript({
                nodeName: "boutique-cp-0",
                nodeAddress: "10.10.0.8",
                apiServerEndpoint: "10.10.0.2:6443",
                mayInitialize: true,
            }),
        },
        {
            label: "bring-up-control-plane",
            script: renderBringUpControlPlaneScript({
                nodeName: "boutique-cp-1",
                nodeAddress: "10.10.0.9",
                apiServerEndpoint: "10.10.0.2:6443",
                mayInitialize: false,
            }),
        },
        {
            label: "bring-up-control-plane, only one, restore allowed",
            script: renderBringUpControlPlaneScript({
                ...ONLY_CONTROL_PLANE,
                restore: { enabled: true, clusterName: "boutique", identity: etcdScriptSettings().identity },
            }),
        },
        {
            label: "bring-up-control-plane, only one, restore refused",
            script: renderBringUpControlPlaneScript({
                ...ONLY_CONTROL_PLANE,
                restore: { enabled: false, clusterName: "boutique", identity: etcdScriptSettings().identity },
            }),
        },
        { label: "join-node", script: renderJoinNodeScript({ nodeName: "boutique-worker-3" }) },
        { label: "join-worker", script: renderJoinWorkerScript({ nodeName: "boutique-worker-3", nodeAddress: "10.10.0.35", sshUser: "pulumi" }) },
        { label: "remove-node, worker", script: renderRemoveNodeScript({ nodeName: "boutique-worker-3", drainTimeoutSeconds: 300 }) },
        { label: "remove-node, control plane", script: renderRemoveNodeScript({ nodeName: "boutique-cp-2", drainTimeoutSeconds: 300, controlPlane: true }) },
        {
            label: "roll-start, worker",
            script: renderRollStartScript({ nodeName: "boutique-worker-3", template: ROLL_TEMPLATE, drainTimeoutSeconds: 300, waitSeconds: 21_000 }),
        },
        {
            label: "roll-start, control plane",
            script: renderRollStartScript({ nodeName: "boutique-cp-1", template: ROLL_TEMPLATE, drainTimeoutSeconds: 300, waitSeconds: 21_000 }),
        },
        {
            label: "roll-start, the only control plane (snapshot first)",
            script: renderRollStartScript({
                nodeName: "boutique-cp-0",
                template: ROLL_TEMPLATE,
                snapshotFirst: true,
                drainTimeoutSeconds: 300,
                waitSeconds: 21_000,
            }),
        },
        { label: "roll-finish", script: renderRollFinishScript({ nodeName: "boutique-worker-3", template: ROLL_TEMPLATE, readyWaitSeconds: 1800 }) },
        { label: "workers-ready, 2 workers", script: renderWorkersReadyScript({ minReadyWorkers: 2 }) },
        { label: "workers-ready, none (scale from zero)", script: renderWorkersReadyScript({ minReadyWorkers: 0 }) },
        { label: "etcd-backup", script: renderEtcdBackupScript(etcdScriptSettings()) },
        { label: "etcd-restore, three members", script: renderEtcdRestoreScript(etcdScriptSettings({ expectedMembers: 3 })) },
        { label: "install-etcd-backup", script: renderInstallEtcdBackupScript("*-*-* *:00:00") },
        {
            label: "upgrade-first-control-plane (to 1.33.1)",
            script: renderUpgradeFirstControlPlaneScript({ nodeName: "boutique-cp-0", to: { minor: 33, patch: 1 }, drainTimeoutSeconds: 300 }),
        },
        {
            label: "upgrade-control-plane (to 1.33.1)",
            script: renderUpgradeControlPlaneScript({ nodeName: "boutique-cp-1", to: { minor: 33, patch: 1 }, drainTimeoutSeconds: 300 }),
        },
        { label: "upgrade-worker (to 1.33.1)", script: renderUpgradeWorkerScript({ to: { minor: 33, patch: 1 } }) },
        { label: "release-volumes (destroy)", script: renderReleaseVolumesScript(["monitoring", "logging", "tracing"]) },
    ];
}
