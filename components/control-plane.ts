import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesVersion } from "../config/fields";
import { ClusterPki } from "./cluster-pki";
import { CONTROL_PLANE_PATHS, renderAuditPolicy, renderEncryptionConfiguration } from "./control-plane-files";
import { ClusterSettings, REDACTED, renderInitConfiguration } from "./kubeadm-config";
import { renderKubeconfig } from "./kubeconfig";
import { ReservedAddress } from "./ip-pool";
import { ClusterJoinSettings, fileBundle, joinCluster, PendingNodeFile } from "./node-join";
import { asRootCommand, NODE_PATHS, renderInitControlPlaneScript } from "./node-scripts";
import { nodeInstanceArgs } from "./node-vm";
import { gceProviderId } from "./pki";
import { nodeConnection, SshAccess } from "./ssh";

export const API_SERVER_PORT = 6443;
/** kubeadm's default issuer, set explicitly: Workload Identity Federation trusts tokens by this `iss`. */
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

export interface ControlPlaneArgs {
    readonly clusterName: string;
    readonly project: string;
    readonly zone: string;
    readonly kubernetesVersion: KubernetesVersion;
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
}

/**
 * The control plane: `kubeadm init` on the first node with the program's CA and service-account
 * key, then further control planes joined one at a time. It also yields the admin kubeconfig
 * (a client certificate the program signs) and a Kubernetes provider for later layers.
 */
export class ControlPlane extends pulumi.ComponentResource {
    readonly nodeNames: readonly string[];
    /** Done when the cluster exists and its API answers through HAProxy. */
    readonly initialized: command.remote.Command;
    /** Everything a node needs to join this cluster. */
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
        const node = (i: number) => ({
            name: this.nodeNames[i],
            address: args.addresses[i].ip,
            providerId: gceProviderId(args.project, args.zone, this.nodeNames[i]),
        });

        const instances = args.addresses.map(
            (address, i) =>
                new gcp.compute.Instance(
                    `cp-${i}-vm`,
                    nodeInstanceArgs({
                        instanceName: this.nodeNames[i],
                        role: "control-plane",
                        clusterName: args.clusterName,
                        zone: args.zone,
                        machineType: args.machineType,
                        image: args.image,
                        diskSizeGb: args.diskSizeGb,
                        subnetwork: args.subnetwork,
                        internalAddress: address.reservation.address,
                        serviceAccountEmail: args.serviceAccountEmail,
                        sshUser: args.ssh.user,
                        sshPublicKey: args.sshPublicKey,
                        startupScript: args.startupScript,
                        labels: { "control-plane-index": String(i) },
                    }),
                    { ...parent, deleteBeforeReplace: true },
                ),
        );

        // Files every control plane's API server reads (the ClusterConfiguration mounts them).
        const apiServerFiles: PendingNodeFile[] = [
            { path: CONTROL_PLANE_PATHS.encryptionConfig, mode: "0600", content: args.pki.encryptionKey.apply(renderEncryptionConfiguration) },
            { path: CONTROL_PLANE_PATHS.auditPolicy, mode: "0644", content: renderAuditPolicy() },
        ];
        const clusterSettings = pulumi.output(args.endpoint.publicIp).apply(
            (publicIp): ClusterSettings => ({
                clusterName: args.clusterName,
                kubernetesVersion: args.kubernetesVersion,
                controlPlaneEndpoint: apiServerEndpoint,
                certSans: [args.endpoint.internalIp, publicIp],
                podCidr: args.podCidr,
                serviceCidr: args.serviceCidr,
                serviceAccountIssuer: SERVICE_ACCOUNT_ISSUER,
            }),
        );
        const first = node(0);
        const initConfig = clusterSettings.apply((cluster) => renderInitConfiguration(cluster, first));
        const initScript = renderInitControlPlaneScript();
        this.initialized = new command.remote.Command(
            "cp-0-init",
            {
                connection: nodeConnection(args.ssh, first.address),
                create: asRootCommand(initScript),
                stdin: fileBundle([
                    { path: "/etc/kubernetes/pki/ca.crt", mode: "0644", content: args.pki.caCertPem },
                    { path: "/etc/kubernetes/pki/ca.key", mode: "0600", content: args.pki.caKeyPem },
                    { path: "/etc/kubernetes/pki/sa.key", mode: "0600", content: args.pki.serviceAccountKeyPem },
                    { path: "/etc/kubernetes/pki/sa.pub", mode: "0644", content: args.pki.serviceAccountPublicKeyPem },
                    ...apiServerFiles,
                    { path: NODE_PATHS.kubeadmConfig, mode: "0600", content: initConfig },
                ]),
                triggers: [instances[0].instanceId],
            },
            { ...parent, dependsOn: [instances[0], args.endpoint.ready] },
        );

        this.joinSettings = {
            ssh: args.ssh,
            firstControlPlaneAddress: first.address,
            apiServerEndpoint,
            caCertHash: args.pki.discoveryHash,
            drainTimeoutSeconds: args.drainTimeoutSeconds,
            clusterInitialized: this.initialized,
        };
        const artifacts: Record<string, pulumi.Input<string>> = {
            "nodes/cp-0/startup-script.sh": args.startupScript,
            "nodes/cp-0/kubeadm-init.yaml": initConfig,
            "nodes/cp-0/init-control-plane.sh": initScript,
            "nodes/cp-0/encryption-config.yaml": renderEncryptionConfiguration(REDACTED),
            "nodes/cp-0/audit-policy.yaml": renderAuditPolicy(),
        };
        let previousJoin: pulumi.Resource | undefined;
        for (let i = 1; i < instances.length; i++) {
            const joined = joinCluster(
                `cp-${i}`,
                {
                    node: node(i),
                    instance: instances[i],
                    cluster: this.joinSettings,
                    controlPlane: { certificateKey: args.pki.certificateKey, files: apiServerFiles },
                    after: previousJoin ? [previousJoin] : [],
                },
                this,
            );
            previousJoin = joined.join;
            artifacts[`nodes/cp-${i}/startup-script.sh`] = args.startupScript;
            for (const [file, text] of Object.entries(joined.artifacts)) artifacts[`nodes/cp-${i}/${file}`] = text;
        }

        this.apiEndpoint = pulumi.interpolate`https://${args.endpoint.publicIp}:${API_SERVER_PORT}`;
        this.kubeconfig = pulumi.secret(
            pulumi
                .all([this.apiEndpoint, args.pki.caCertPem, args.pki.adminCertPem, args.pki.adminKeyPem, this.initialized.id])
                .apply(([server, caCertPem, clientCertPem, clientKeyPem]) =>
                    renderKubeconfig({ clusterName: args.clusterName, server, caCertPem, userName: "admin", clientCertPem, clientKeyPem }),
                ),
        );
        this.provider = new k8s.Provider(`${name}-kubernetes`, { kubeconfig: this.kubeconfig }, { ...parent, dependsOn: [this.initialized] });
        this.registerOutputs({ nodeNames: this.nodeNames, apiEndpoint: this.apiEndpoint, kubeconfig: this.kubeconfig, artifacts });
    }
}
