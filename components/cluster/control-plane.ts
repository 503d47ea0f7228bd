import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterPki } from "./cluster-pki";
import { renderAuditPolicy, renderEncryptionConfiguration } from "./rendered/control-plane-files";
import { controlPlaneBundleFiles } from "./control-plane-bundle";
import { ClusterSettings, NodeIdentity, REDACTED, renderInitConfiguration, renderJoinConfiguration } from "./rendered/kubeadm-config";
import { KubernetesRelease } from "../../config/kubernetes-release";
import { renderKubeconfig } from "./rendered/kubeconfig";
import { ReservedAddress } from "./ip-pool";
import { controlPlaneRestoreWiring } from "./control-plane-restore";
import { ClusterJoinSettings, fileBundle, PendingNodeFile } from "./node-join";
import { asRootCommand, renderRemoveNodeScript } from "./rendered/node-scripts";
import { CONTROL_PLANE_BRING_UP_PATHS, renderBringUpControlPlaneScript } from "./rendered/node-scripts-control-plane";
import { JOIN_PATHS } from "./rendered/node-scripts-join";
import { nodeRoll } from "./node-roll";
import { controlPlaneUpgrade } from "./node-upgrade";
import { nodeInstanceArgs, nodeVmTemplate } from "./node-vm";
import { gceProviderId } from "../../config/provider-ids";
import { nodeConnection, SshAccess } from "./ssh";
import { FederationPool } from "../shared/workload-identity";

export const API_SERVER_PORT = 6443;
/** kubeadm's default issuer, set explicitly: Workload Identity Federation trusts tokens by this `iss`. */
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

export interface ControlPlaneArgs {
    readonly clusterName: string;
    readonly project: string;
    readonly zone: string;
    readonly kubernetesVersion: KubernetesRelease;
    readonly machineType: string;
    readonly image: string;
    readonly diskSizeGb: number;
    readonly subnetwork: pulumi.Input<string>;
    /** One reserved address per control plane; their count is the control-plane count. */
    readonly addresses: readonly ReservedAddress[];
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly serviceAccountEmail: pulumi.Input<string>;
    readonly sshPublicKey: pulumi.Input<string>;
    readonly ssh: SshAccess;
    /** Run by every Kubernetes node at boot (containerd, kubelet, kubeadm). */
    readonly startupScript: string;
    readonly pki: ClusterPki;
    /** The HAProxy VM: the controlPlaneEndpoint (internal) and the admins' way in (public). */
    readonly endpoint: { readonly internalIp: string; readonly publicIp: pulumi.Input<string>; readonly ready: pulumi.Resource };
    readonly drainTimeoutSeconds: number;
    /** The key this control plane joins workers with (NodeAccess.workerJoinPrivateKey, secret). */
    readonly workerJoinPrivateKey: pulumi.Input<string>;
    /** How long a node's change waits for the others' (node-roll.ts rollWaitSeconds). */
    readonly rollWaitSeconds: number;
    /** A single control plane's replacement: restore etcd from the latest backup, or refuse (control-plane-restore.ts). */
    readonly restore: { readonly enabled: boolean; readonly federation: pulumi.Input<FederationPool>; readonly bucket: pulumi.Input<string> };
}

/**
 * The control plane. `cluster-init` creates the cluster once, on the first node (kubeadm init
 * with the program's PKI); it is never re-run, not even when that VM is replaced. Every control
 * plane then has its own bring-up, re-run when its VM is replaced, which joins the running
 * cluster (or does nothing on a member): a replaced cp-0 joins the others instead of creating a
 * second cluster. Bring-ups and VM replacements go one node at a time (etcd adds or loses one
 * member at a time). It also yields the admin kubeconfig and a Kubernetes provider.
 */
export class ControlPlane extends pulumi.ComponentResource {
    readonly nodeNames: readonly string[];
    /** Done when the cluster exists and its API answers through HAProxy; never replaced. */
    readonly initialized: command.remote.Command;
    /** Each control plane's bring-up, by index. */
    readonly bringUps: readonly command.remote.Command[];
    /** Everything a worker needs to join this cluster. */
    readonly joinSettings: ClusterJoinSettings;
    readonly apiEndpoint: pulumi.Output<string>;
    /** Admin kubeconfig for the public endpoint (secret). */
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;

    constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:ControlPlane", name, {}, opts);
        const parent = { parent: this };
        const apiServerEndpoint = `${args.endpoint.internalIp}:${API_SERVER_PORT}`;
        this.nodeNames = args.addresses.map((_, i) => `${args.clusterName}-cp-${i}`);
        const nodes: NodeIdentity[] = args.addresses.map((address, i) => ({
            name: this.nodeNames[i],
            address: address.ip,
            providerId: gceProviderId(args.project, args.zone, this.nodeNames[i]),
        }));
        const clusterSettings = pulumi.output(args.endpoint.publicIp).apply((publicIp): ClusterSettings => ({
            clusterName: args.clusterName,
            kubernetesVersion: args.kubernetesVersion,
            controlPlaneEndpoint: apiServerEndpoint,
            certSans: [args.endpoint.internalIp, publicIp],
            podCidr: args.podCidr,
            serviceCidr: args.serviceCidr,
            serviceAccountIssuer: SERVICE_ACCOUNT_ISSUER,
        }));
        const joinConfig = (node: NodeIdentity) =>
            pulumi.output(args.pki.discoveryHash).apply((caCertHash) => renderJoinConfiguration({ apiServerEndpoint, caCertHash, node, controlPlane: true }));
        const shared = controlPlaneBundleFiles({ clusterName: args.clusterName, pki: args.pki, apiServerEndpoint });
        const bundle = (i: number, init?: pulumi.Output<string>, extra: readonly PendingNodeFile[] = []) =>
            fileBundle([
                ...shared,
                { path: JOIN_PATHS.joinConfig, mode: "0644", content: joinConfig(nodes[i]) },
                ...(init ? [{ path: CONTROL_PLANE_BRING_UP_PATHS.initConfig, mode: "0644" as const, content: init }] : []),
                ...extra,
            ]);
        const bringUpScript = (i: number, mayInitialize: boolean) =>
            renderBringUpControlPlaneScript({ nodeName: nodes[i].name, nodeAddress: nodes[i].address, apiServerEndpoint, mayInitialize });

        const initConfig = clusterSettings.apply((cluster) => renderInitConfiguration(cluster, nodes[0]));
        const initScript = bringUpScript(0, true);
        // With one control plane, a replaced cp-0 has nobody to join: it restores etcd from the latest backup, or refuses.
        const restore = controlPlaneRestoreWiring({
            ...args.restore,
            controlPlaneCount: nodes.length,
            clusterName: args.clusterName,
            issuer: SERVICE_ACCOUNT_ISSUER,
            initConfig,
        });
        const artifacts: Record<string, pulumi.Input<string>> = {
            "nodes/cp-0/kubeadm-init.yaml": initConfig,
            "nodes/cp-0/init-cluster.sh": initScript,
            "nodes/cp-0/encryption-config.yaml": renderEncryptionConfiguration(REDACTED),
            "nodes/cp-0/audit-policy.yaml": renderAuditPolicy(),
        };
        const bringUps: command.remote.Command[] = [];
        const vms: gcp.compute.Instance[] = [];
        const settled: command.remote.Command[] = [];
        let previousUpgrade: command.remote.Command | undefined;
        // A template change (image, disk, machine type, release) reaches one control plane at a time:
        // each one's roll (lease, drain; node-roll.ts) waits for the previous one to be settled.
        const roll = (i: number) =>
            nodeRoll(
                `cp-${i}`,
                {
                    nodeName: nodes[i].name,
                    template: { image: args.image, diskSizeGb: args.diskSizeGb, machineType: args.machineType, kubernetesVersion: args.kubernetesVersion },
                    snapshotFirst: nodes.length === 1,
                    connection: nodeConnection(args.ssh, nodes[i].address),
                    drainTimeoutSeconds: args.drainTimeoutSeconds,
                    waitSeconds: args.rollWaitSeconds,
                },
                this,
                i > 0 ? [settled[i - 1]] : [],
            );
        const instance = (i: number, rollStart: command.remote.Command) =>
            new gcp.compute.Instance(
                `cp-${i}-vm`,
                nodeInstanceArgs({
                    ...nodeVmTemplate(args),
                    instanceName: nodes[i].name,
                    role: "control-plane",
                    internalAddress: args.addresses[i].reservation.address,
                    sshUser: args.ssh.user,
                    labels: { "control-plane-index": String(i) },
                }),
                { ...parent, deleteBeforeReplace: true, dependsOn: [rollStart, ...(i > 0 ? [bringUps[i - 1]] : [])] },
            );
        const firstRoll = roll(0);
        const first = instance(0, firstRoll.start);
        // Created once; an input change (a later program version's script or config) runs a no-op, never init again.
        this.initialized = new command.remote.Command(
            "cluster-init",
            { connection: nodeConnection(args.ssh, nodes[0].address), create: asRootCommand(initScript), update: "true", stdin: bundle(0, initConfig) },
            { ...parent, dependsOn: [first, args.endpoint.ready] },
        );
        for (let i = 0; i < nodes.length; i++) {
            const nodeRollPair = i === 0 ? firstRoll : roll(i);
            const vm = i === 0 ? first : instance(i, nodeRollPair.start);
            vms.push(vm);
            const membership = nodes.length > 1 ? this.removal(i, nodes, args, vm) : undefined;
            const script: pulumi.Input<string> =
                i === 0 && restore
                    ? restore.bringUpScript({ nodeName: nodes[0].name, nodeAddress: nodes[0].address, apiServerEndpoint })
                    : bringUpScript(i, false);
            const rootCommand = pulumi.output(script).apply(asRootCommand);
            bringUps.push(
                new command.remote.Command(
                    `cp-${i}-bring-up`,
                    {
                        connection: nodeConnection(args.ssh, nodes[i].address),
                        create: rootCommand,
                        update: rootCommand,
                        stdin: i === 0 && restore ? bundle(0, undefined, restore.bundleFiles) : bundle(i),
                        triggers: [vm.instanceId],
                    },
                    { ...parent, dependsOn: [vm, this.initialized, ...(membership ? [membership] : []), ...(i > 0 ? [bringUps[i - 1]] : [])] },
                ),
            );
            // kubeadm upgrade apply on the first, upgrade node on the others, one after the other.
            const upgrade = controlPlaneUpgrade(
                {
                    prefix: `cp-${i}`,
                    nodeName: nodes[i].name,
                    to: args.kubernetesVersion,
                    connection: nodeConnection(args.ssh, nodes[i].address),
                    drainTimeoutSeconds: args.drainTimeoutSeconds,
                    after: [vm, bringUps[i], ...(previousUpgrade ? [previousUpgrade] : [])],
                    first: i === 0,
                },
                this,
            );
            previousUpgrade = upgrade.command;
            settled.push(nodeRollPair.finish([bringUps[i], upgrade.command]));
            for (const [file, text] of Object.entries({ ...nodeRollPair.artifacts, ...upgrade.artifacts })) artifacts[`nodes/cp-${i}/${file}`] = text;
            artifacts[`nodes/cp-${i}/startup-script.sh`] = args.startupScript;
            artifacts[`nodes/cp-${i}/kubeadm-join.yaml`] = joinConfig(nodes[i]);
            artifacts[`nodes/cp-${i}/bring-up-control-plane.sh`] = script;
            if (membership) artifacts[`nodes/cp-${i}/remove-node.sh`] = removeScript(nodes[i].name, args.drainTimeoutSeconds, true);
        }
        this.bringUps = bringUps;

        this.joinSettings = {
            ssh: args.ssh,
            firstControlPlaneAddress: nodes[0].address,
            apiServerEndpoint,
            caCertHash: args.pki.discoveryHash,
            drainTimeoutSeconds: args.drainTimeoutSeconds,
            clusterInitialized: this.initialized,
            firstControlPlaneReady: bringUps[0],
            workerJoinPrivateKey: args.workerJoinPrivateKey,
            rollWaitSeconds: args.rollWaitSeconds,
            controlPlaneSettled: settled[settled.length - 1],
        };
        this.apiEndpoint = pulumi.interpolate`https://${args.endpoint.publicIp}:${API_SERVER_PORT}`;
        this.kubeconfig = pulumi.secret(
            pulumi
                .all([this.apiEndpoint, args.pki.caCertPem, args.pki.adminCertPem, args.pki.adminKeyPem, this.initialized.id])
                .apply(([server, caCertPem, clientCertPem, clientKeyPem]) =>
                    renderKubeconfig({ clusterName: args.clusterName, server, caCertPem, userName: "admin", clientCertPem, clientKeyPem }),
                ),
        );
        // Every control plane VM: a destroy deletes them only after every Kubernetes object (etcd keeps quorum while the API is in use).
        this.provider = new k8s.Provider(`${name}-kubernetes`, { kubeconfig: this.kubeconfig }, { ...parent, dependsOn: [this.initialized, ...vms] });
        this.registerOutputs({ nodeNames: this.nodeNames, apiEndpoint: this.apiEndpoint, kubeconfig: this.kubeconfig, artifacts });
    }

    /**
     * With several control planes: removing cp-i (its VM replaced or the count lowered) runs on
     * another one first (cp-0, or cp-1 for cp-0): drain, delete the Node, remove its etcd member.
     * It works when cp-i's VM is already dead. A destroy skips it (the cluster goes whole).
     */
    private removal(i: number, nodes: readonly NodeIdentity[], args: ControlPlaneArgs, instance: gcp.compute.Instance): command.remote.Command {
        const remover = i === 0 ? 1 : 0;
        return new command.remote.Command(
            `cp-${i}-membership`,
            {
                connection: nodeConnection(args.ssh, nodes[remover].address),
                // No create: it must not dial the other control plane, which on a new cluster comes up after this one.
                delete: asRootCommand(removeScript(nodes[i].name, args.drainTimeoutSeconds, true)),
                triggers: [instance.instanceId],
            },
            { parent: this, dependsOn: [instance, this.initialized], deletedWith: this.initialized },
        );
    }
}

function removeScript(nodeName: string, drainTimeoutSeconds: number, controlPlane = false): string {
    return renderRemoveNodeScript(controlPlane ? { nodeName, drainTimeoutSeconds, controlPlane } : { nodeName, drainTimeoutSeconds });
}
