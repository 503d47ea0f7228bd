import { stringify } from "yaml";
import type { NodeTaint } from "../../../config/node-pools";
import { CONTROL_PLANE_PATHS } from "./control-plane-files";
import { imageCredentialKubeletArgs } from "./image-credentials";
import { KubernetesRelease, kubernetesVersionTag } from "../../../config/kubernetes-release";

export { REDACTED } from "./redacted";

const KUBEADM_API = "kubeadm.k8s.io/v1beta4";
const API_SERVER_BIND_PORT = 6443;
const CRI_SOCKET = "unix:///run/containerd/containerd.sock";
/** Where kubeadm's stacked etcd keeps its data; a restore puts a snapshot's data there before `kubeadm init`. */
export const ETCD_DATA_DIR = "/var/lib/etcd";
/** kubeadm's etcd peer port: a member's peer URL is https://<node address>:2380. */
export const ETCD_PEER_PORT = 2380;
const CONTROL_PLANE_TAINT: NodeTaint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

export interface ClusterSettings {
    readonly clusterName: string;
    readonly kubernetesVersion: KubernetesRelease;
    /** host:port of HAProxy's internal address. */
    readonly controlPlaneEndpoint: string;
    /** Extra API-server certificate SANs: HAProxy's internal and public addresses. */
    readonly certSans: readonly string[];
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly serviceAccountIssuer: string;
}

export interface NodeIdentity {
    /** Kubernetes node name = GCE instance name. */
    readonly name: string;
    readonly address: string;
    /** gce://<project>/<zone>/<instance> */
    readonly providerId: string;
    /** Labels the kubelet registers the node with (outside the kubernetes.io prefixes NodeRestriction guards). */
    readonly labels?: Readonly<Record<string, string>>;
    /** Taints the node registers with, for dedicated pools. */
    readonly taints?: readonly NodeTaint[];
}

export interface JoinSettings {
    readonly apiServerEndpoint: string;
    /** sha256:<hex> pin of the CA public key. */
    readonly caCertHash: string;
    readonly node: NodeIdentity;
    /** A control plane joins with the shared PKI already in place (its bring-up installs it). */
    readonly controlPlane: boolean;
}

/**
 * Stands in the rendered JoinConfiguration for the bootstrap token, which each join attempt mints
 * and puts in place on the node (node-scripts-join.ts): the rendered config holds no secret.
 */
export const BOOTSTRAP_TOKEN_PLACEHOLDER = "BOUTIQUE_BOOTSTRAP_TOKEN";

/** v1beta4 takes component flags as a list of {name, value}. */
function args(flags: Readonly<Record<string, string>>): { name: string; value: string }[] {
    return Object.entries(flags).map(([name, value]) => ({ name, value }));
}

function nodeRegistration(node: NodeIdentity, controlPlane: boolean) {
    return {
        name: node.name,
        criSocket: CRI_SOCKET,
        // The Cluster Autoscaler matches instances to nodes by provider id; without a cloud
        // controller manager the kubelet must be told. It cannot change once registered.
        kubeletExtraArgs: args({
            "provider-id": node.providerId,
            "node-ip": node.address,
            // Pulls from Google's registries (the scaler's image) carry the node's identity.
            ...imageCredentialKubeletArgs(),
            ...(node.labels
                ? {
                      "node-labels": Object.entries(node.labels)
                          .map(([key, value]) => `${key}=${value}`)
                          .join(","),
                  }
                : {}),
        }),
        ...(controlPlane || node.taints ? { taints: [...(controlPlane ? [CONTROL_PLANE_TAINT] : []), ...(node.taints ?? [])] } : {}),
    };
}

function hostOf(endpoint: string): string {
    return endpoint.replace(/:\d+$/, "");
}

function clusterConfiguration(cluster: ClusterSettings) {
    const audit = CONTROL_PLANE_PATHS.auditLogDir;
    return {
        apiVersion: KUBEADM_API,
        kind: "ClusterConfiguration",
        clusterName: cluster.clusterName,
        // Exactly the release the nodes' packages are pinned to (never "stable-1.x", which kubeadm resolves online).
        kubernetesVersion: kubernetesVersionTag(cluster.kubernetesVersion),
        controlPlaneEndpoint: cluster.controlPlaneEndpoint,
        networking: { podSubnet: cluster.podCidr, serviceSubnet: cluster.serviceCidr, dnsDomain: "cluster.local" },
        apiServer: {
            certSANs: [...new Set([hostOf(cluster.controlPlaneEndpoint), ...cluster.certSans])],
            extraArgs: args({
                "encryption-provider-config": CONTROL_PLANE_PATHS.encryptionConfig,
                "audit-policy-file": CONTROL_PLANE_PATHS.auditPolicy,
                "audit-log-path": `${audit}/audit.log`,
                "audit-log-maxage": "30",
                "audit-log-maxbackup": "10",
                "audit-log-maxsize": "100",
                profiling: "false",
                "service-account-issuer": cluster.serviceAccountIssuer,
            }),
            extraVolumes: [
                {
                    name: "encryption-config",
                    hostPath: dirname(CONTROL_PLANE_PATHS.encryptionConfig),
                    mountPath: dirname(CONTROL_PLANE_PATHS.encryptionConfig),
                    readOnly: true,
                    pathType: "DirectoryOrCreate",
                },
                {
                    name: "audit-policy",
                    hostPath: CONTROL_PLANE_PATHS.auditPolicy,
                    mountPath: CONTROL_PLANE_PATHS.auditPolicy,
                    readOnly: true,
                    pathType: "File",
                },
                { name: "audit-log", hostPath: audit, mountPath: audit, readOnly: false, pathType: "DirectoryOrCreate" },
            ],
        },
        // Their metrics stay on 127.0.0.1 (kubeadm's default); the monitoring layer decides how to reach them.
        controllerManager: { extraArgs: args({ profiling: "false" }) },
        scheduler: { extraArgs: args({ profiling: "false" }) },
        etcd: { local: { dataDir: ETCD_DATA_DIR } },
    };
}

/** Cluster-wide kubelet settings: kubeadm uploads them, so nothing node-specific belongs here. */
const KUBELET_CONFIGURATION = {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    cgroupDriver: "systemd",
    readOnlyPort: 0,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true } },
    authorization: { mode: "Webhook" },
    rotateCertificates: true,
    protectKernelDefaults: true,
    tlsMinVersion: "VersionTLS12",
};

function dirname(path: string): string {
    return path.slice(0, path.lastIndexOf("/"));
}

function documents(...docs: object[]): string {
    return docs.map((doc) => stringify(doc)).join("---\n");
}

/**
 * `kubeadm init --config` for the first control plane: InitConfiguration, ClusterConfiguration
 * and KubeletConfiguration. It holds no secret: no bootstrap token (each join mints its own)
 * and no certificate key (control planes receive the shared PKI from the program).
 */
export function renderInitConfiguration(cluster: ClusterSettings, node: NodeIdentity): string {
    return documents(
        {
            apiVersion: KUBEADM_API,
            kind: "InitConfiguration",
            localAPIEndpoint: { advertiseAddress: node.address, bindPort: API_SERVER_BIND_PORT },
            nodeRegistration: nodeRegistration(node, true),
            // init always creates a bootstrap token (its phase also sets up the RBAC every join needs).
            // No value is given, so kubeadm generates it and this file holds no secret; the bring-up
            // deletes it at once, and should that fail, it expires in 15 minutes rather than 24 hours.
            bootstrapTokens: [{ groups: ["system:bootstrappers:kubeadm:default-node-token"], ttl: "15m0s", usages: ["signing", "authentication"] }],
            // Cilium replaces kube-proxy.
            skipPhases: ["addon/kube-proxy"],
        },
        clusterConfiguration(cluster),
        KUBELET_CONFIGURATION,
    );
}

/**
 * `kubeadm join --config` for a worker, or a control plane. The token is BOOTSTRAP_TOKEN_PLACEHOLDER
 * (each attempt mints its own); a control plane carries no certificate key, because the shared
 * certificates are installed by its bring-up instead of downloaded from the cluster.
 */
export function renderJoinConfiguration(settings: JoinSettings): string {
    if (!/^sha256:[0-9a-f]{64}$/.test(settings.caCertHash)) {
        throw new Error(`caCertHash must be sha256:<64 hex digits>, got ${JSON.stringify(settings.caCertHash)}`);
    }
    return documents({
        apiVersion: KUBEADM_API,
        kind: "JoinConfiguration",
        discovery: {
            bootstrapToken: { token: BOOTSTRAP_TOKEN_PLACEHOLDER, apiServerEndpoint: settings.apiServerEndpoint, caCertHashes: [settings.caCertHash] },
        },
        nodeRegistration: nodeRegistration(settings.node, settings.controlPlane),
        ...(settings.controlPlane ? { controlPlane: { localAPIEndpoint: { advertiseAddress: settings.node.address, bindPort: API_SERVER_BIND_PORT } } } : {}),
    });
}
