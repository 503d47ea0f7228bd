import { strict as assert } from "assert";
import { parseAllDocuments } from "yaml";
import { CONTROL_PLANE_PATHS } from "../../../components/cluster/rendered/control-plane-files";
import {
    BOOTSTRAP_TOKEN_PLACEHOLDER,
    ClusterSettings,
    NodeIdentity,
    renderInitConfiguration,
    renderJoinConfiguration,
} from "../../../components/cluster/rendered/kubeadm-config";

/** The parts of the rendered documents these tests read. */
interface Flag {
    readonly name: string;
    readonly value: string;
}
interface NodeRegistration {
    readonly name: string;
    readonly kubeletExtraArgs: Flag[];
    readonly taints?: { key: string; effect: string }[];
}
interface Doc {
    readonly apiVersion: string;
    readonly kind: string;
    readonly bootstrapTokens?: unknown;
    readonly certificateKey?: unknown;
    readonly skipPhases?: string[];
    readonly localAPIEndpoint?: unknown;
    readonly nodeRegistration: NodeRegistration;
    readonly controlPlaneEndpoint: string;
    readonly kubernetesVersion: string;
    readonly networking: unknown;
    readonly apiServer: { readonly certSANs: string[]; readonly extraArgs: Flag[]; readonly extraVolumes: { mountPath: string; readOnly: boolean }[] };
    readonly controllerManager: { readonly extraArgs: Flag[] };
    readonly scheduler: { readonly extraArgs: Flag[] };
    readonly readOnlyPort: number;
    readonly authentication: { readonly anonymous: { enabled: boolean }; readonly webhook: { enabled: boolean } };
    readonly authorization: { readonly mode: string };
    readonly rotateCertificates: boolean;
    readonly protectKernelDefaults: boolean;
    readonly cgroupDriver: string;
    readonly providerID?: string;
    readonly discovery: { readonly bootstrapToken: { token: string } };
    readonly controlPlane?: { readonly localAPIEndpoint: unknown; readonly certificateKey?: string };
}

const cluster: ClusterSettings = {
    clusterName: "boutique-dev",
    kubernetesVersion: { minor: 32, patch: 4 },
    controlPlaneEndpoint: "10.10.0.2:6443",
    certSans: ["10.10.0.2", "203.0.113.10"],
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    serviceAccountIssuer: "https://kubernetes.default.svc.cluster.local",
};
const cp0: NodeIdentity = { name: "boutique-dev-cp-0", address: "10.10.0.8", providerId: "gce://p-000000/europe-west1-b/boutique-dev-cp-0" };
const worker: NodeIdentity = { name: "boutique-dev-worker-3", address: "10.10.0.35", providerId: "gce://p-000000/europe-west1-b/boutique-dev-worker-3" };
const HASH = `sha256:${"ab".repeat(32)}`;

function docs(yaml: string): Doc[] {
    return parseAllDocuments(yaml).map((doc) => doc.toJSON() as Doc);
}

const flag = (list: readonly Flag[], name: string) => list.find((entry) => entry.name === name)?.value;

describe("kubeadm configs (v1beta4)", () => {
    const [init, clusterConfig, kubelet] = docs(renderInitConfiguration(cluster, cp0));

    it("init renders InitConfiguration, ClusterConfiguration and KubeletConfiguration", () => {
        assert.deepEqual(
            [init, clusterConfig, kubelet].map((doc) => `${doc.apiVersion} ${doc.kind}`),
            ["kubeadm.k8s.io/v1beta4 InitConfiguration", "kubeadm.k8s.io/v1beta4 ClusterConfiguration", "kubelet.config.k8s.io/v1beta1 KubeletConfiguration"],
        );
    });

    it("the init config holds no secret: its bootstrap token has no value (kubeadm generates it) and lives 15 minutes; no certificate key", () => {
        assert.deepEqual(init.bootstrapTokens, [
            { groups: ["system:bootstrappers:kubeadm:default-node-token"], ttl: "15m0s", usages: ["signing", "authentication"] },
        ]);
        assert.equal(init.certificateKey, undefined);
    });

    it("registers the node with its provider id and address (list-form kubeletExtraArgs), tainted as control plane", () => {
        assert.deepEqual(init.nodeRegistration.kubeletExtraArgs, [
            { name: "provider-id", value: cp0.providerId },
            { name: "node-ip", value: "10.10.0.8" },
            { name: "image-credential-provider-config", value: "/etc/kubernetes/image-credential-providers.yaml" },
            { name: "image-credential-provider-bin-dir", value: "/usr/local/lib/kubelet-credential-providers" },
        ]);
        assert.equal(init.nodeRegistration.name, "boutique-dev-cp-0");
        assert.deepEqual(init.nodeRegistration.taints, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
        assert.deepEqual(init.localAPIEndpoint, { advertiseAddress: "10.10.0.8", bindPort: 6443 });
        assert.deepEqual(init.skipPhases, ["addon/kube-proxy"]);
    });

    it("uses HAProxy as controlPlaneEndpoint with deduplicated SANs and the configured ranges", () => {
        assert.equal(clusterConfig.controlPlaneEndpoint, "10.10.0.2:6443");
        assert.deepEqual(clusterConfig.apiServer.certSANs, ["10.10.0.2", "203.0.113.10"]);
        assert.deepEqual(clusterConfig.networking, { podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/12", dnsDomain: "cluster.local" });
        assert.equal(clusterConfig.kubernetesVersion, "v1.32.4");
    });

    it("hardens the API server: encryption at rest, audit log at the CIS limits, profiling off, explicit issuer", () => {
        const apiArgs = clusterConfig.apiServer.extraArgs;
        assert.ok(Array.isArray(apiArgs), "v1beta4 extraArgs are a list");
        assert.equal(flag(apiArgs, "encryption-provider-config"), CONTROL_PLANE_PATHS.encryptionConfig);
        assert.equal(flag(apiArgs, "audit-policy-file"), CONTROL_PLANE_PATHS.auditPolicy);
        assert.ok(Number(flag(apiArgs, "audit-log-maxage")) >= 30);
        assert.ok(Number(flag(apiArgs, "audit-log-maxbackup")) >= 10);
        assert.ok(Number(flag(apiArgs, "audit-log-maxsize")) >= 100);
        assert.equal(flag(apiArgs, "profiling"), "false");
        assert.equal(flag(apiArgs, "service-account-issuer"), cluster.serviceAccountIssuer);
        assert.equal(flag(clusterConfig.controllerManager.extraArgs, "profiling"), "false");
        assert.equal(flag(clusterConfig.scheduler.extraArgs, "profiling"), "false");
    });

    it("mounts every file the API server flags point at", () => {
        const mounts = clusterConfig.apiServer.extraVolumes;
        const covers = (file: string) => mounts.some((mount) => file === mount.mountPath || file.startsWith(`${mount.mountPath}/`));
        for (const file of [CONTROL_PLANE_PATHS.encryptionConfig, CONTROL_PLANE_PATHS.auditPolicy, `${CONTROL_PLANE_PATHS.auditLogDir}/audit.log`]) {
            assert.ok(covers(file), file);
        }
        assert.equal(mounts.find((mount) => mount.mountPath === CONTROL_PLANE_PATHS.auditLogDir)?.readOnly, false);
    });

    it("hardens the kubelet cluster-wide: read-only port off, anonymous off, webhook authz, rotation", () => {
        assert.equal(kubelet.readOnlyPort, 0);
        assert.equal(kubelet.authentication.anonymous.enabled, false);
        assert.equal(kubelet.authentication.webhook.enabled, true);
        assert.equal(kubelet.authorization.mode, "Webhook");
        assert.equal(kubelet.rotateCertificates, true);
        assert.equal(kubelet.protectKernelDefaults, true);
        assert.equal(kubelet.cgroupDriver, "systemd");
        assert.equal(kubelet.providerID, undefined, "node-specific settings do not belong in the shared kubelet config");
    });

    for (const [release, tag] of [
        [{ minor: 33, patch: 4 }, "v1.33.4"],
        [{ minor: 31, patch: 0 }, "v1.31.0"],
    ] as const) {
        it(`names ${tag} exactly as kubernetesVersion (never "stable-1.x", which kubeadm resolves online)`, () => {
            const clusterConfig = docs(renderInitConfiguration({ ...cluster, kubernetesVersion: release }, cp0))[1];
            assert.equal(clusterConfig.kubernetesVersion, tag);
        });
    }
});

describe("kubeadm join configs", () => {
    it("a worker join pins the CA and carries the token placeholder (each attempt mints its token), without control-plane parts or taints", () => {
        const [join] = docs(renderJoinConfiguration({ apiServerEndpoint: "10.10.0.2:6443", caCertHash: HASH, node: worker, controlPlane: false }));
        assert.equal(join.kind, "JoinConfiguration");
        assert.deepEqual(join.discovery.bootstrapToken, { token: BOOTSTRAP_TOKEN_PLACEHOLDER, apiServerEndpoint: "10.10.0.2:6443", caCertHashes: [HASH] });
        assert.equal(join.controlPlane, undefined);
        assert.equal(join.nodeRegistration.taints, undefined);
        assert.equal(flag(join.nodeRegistration.kubeletExtraArgs, "provider-id"), worker.providerId);
    });

    it("a control-plane join adds its local endpoint and no certificate key (the bring-up installs the shared PKI), tainted", () => {
        const [join] = docs(renderJoinConfiguration({ apiServerEndpoint: "10.10.0.2:6443", caCertHash: HASH, node: cp0, controlPlane: true }));
        assert.deepEqual(join.controlPlane, { localAPIEndpoint: { advertiseAddress: "10.10.0.8", bindPort: 6443 } });
        assert.equal(join.nodeRegistration.taints?.length, 1);
    });

    it("a dedicated pool's node registers with its labels (kubelet --node-labels) and taints", () => {
        const pooled = {
            ...worker,
            labels: { "boutique.dev/pool": "loki", tier: "logs" },
            taints: [{ key: "dedicated", value: "loki", effect: "NoSchedule" as const }],
        };
        const [join] = docs(renderJoinConfiguration({ apiServerEndpoint: "10.10.0.2:6443", caCertHash: HASH, node: pooled, controlPlane: false }));
        assert.equal(flag(join.nodeRegistration.kubeletExtraArgs, "node-labels"), "boutique.dev/pool=loki,tier=logs");
        assert.deepEqual(join.nodeRegistration.taints, [{ key: "dedicated", value: "loki", effect: "NoSchedule" }]);
    });

    it("rejects a hash without sha256:", () =>
        assert.throws(
            () => renderJoinConfiguration({ apiServerEndpoint: "e:6443", caCertHash: "ab".repeat(32), node: worker, controlPlane: false }),
            /caCertHash must be sha256:<64 hex digits>, got "abab/,
        ));
});
