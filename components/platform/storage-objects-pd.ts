import { KubernetesObject, workload } from "../shared/kubernetes-object";

/**
 * The Google Compute Engine Persistent Disk CSI driver as upstream deploys it outside GKE
 * (kubernetes-sigs/gcp-compute-persistent-disk-csi-driver `deploy/kubernetes/base/`, unchanged
 * from tag v1.26.0 to master b560165c), with the `overlays/noauth` patch applied: no `cloud-sa`
 * key Secret, no GOOGLE_APPLICATION_CREDENTIALS. The driver then finds Application Default
 * Credentials on the GCE metadata server, i.e. it acts as the node VM's own service account.
 *
 * Left out of upstream's base: the Windows node DaemonSet and its RBAC (Linux nodes only), the
 * PodSecurityPolicy rules (PSP is gone since Kubernetes 1.25), the two custom PriorityClasses
 * (the built-in system-*-critical classes serve), the csi-snapshotter sidecar (it needs the
 * VolumeSnapshot CRDs and snapshot-controller, which this cluster doesn't install) and the
 * taint-controller container (it only removes the `pd.csi.storage.gke.io/startup` taint that
 * upstream's separate webhook adds; no node here carries it).
 */
export const PD_CSI_DRIVER = "pd.csi.storage.gke.io";
export const PD_CSI_NAMESPACE = "gce-pd-csi-driver";

/** Upstream's `deploy/kubernetes/images/stable-master/image.yaml` (master b560165c). */
export const PD_CSI_IMAGES = {
    driver: "registry.k8s.io/cloud-provider-gcp/gcp-compute-persistent-disk-csi-driver:v1.26.0",
    provisioner: "registry.k8s.io/sig-storage/csi-provisioner:v6.0.0",
    attacher: "registry.k8s.io/sig-storage/csi-attacher:v4.8.1",
    resizer: "registry.k8s.io/sig-storage/csi-resizer:v2.0.0",
    nodeDriverRegistrar: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0",
} as const;

const CONTROLLER_SA = "csi-gce-pd-controller-sa";
const NODE_SA = "csi-gce-pd-node-sa";
const APP_LABELS = { app: "gcp-compute-persistent-disk-csi-driver" };
const SOCKET = "/csi/csi.sock";

interface Rule {
    readonly apiGroups: readonly string[];
    readonly resources: readonly string[];
    readonly verbs: readonly string[];
}

const READ = ["get", "list", "watch"];
const rule = (group: string, resources: readonly string[], verbs: readonly string[]): Rule => ({ apiGroups: [group], resources, verbs });

function clusterRole(name: string, rules: readonly Rule[]): KubernetesObject {
    return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules };
}

/** A (Cluster)RoleBinding of `role` to one of the driver's service accounts. */
function binding(kind: "ClusterRoleBinding" | "RoleBinding", name: string, role: string, serviceAccount: string): KubernetesObject {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind,
        metadata: kind === "RoleBinding" ? { name, namespace: PD_CSI_NAMESPACE } : { name },
        subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace: PD_CSI_NAMESPACE }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: kind === "RoleBinding" ? "Role" : "ClusterRole", name: role },
    };
}

/** RBAC from upstream's `base/controller/cluster_setup.yaml` (xrefs: the sidecars' own rbac.yaml). */
function rbacObjects(): KubernetesObject[] {
    const events = rule("", ["events"], ["list", "watch", "create", "update", "patch"]);
    return [
        clusterRole("csi-gce-pd-provisioner-role", [
            rule("", ["persistentvolumes"], [...READ, "create", "delete"]),
            rule("", ["persistentvolumeclaims"], [...READ, "update"]),
            rule("storage.k8s.io", ["storageclasses"], READ),
            rule("storage.k8s.io", ["volumeattributesclasses"], READ),
            events,
            rule("storage.k8s.io", ["csinodes"], READ),
            rule("", ["nodes"], READ),
            // A claim whose data source is a snapshot: read only; nothing here creates snapshots.
            rule("snapshot.storage.k8s.io", ["volumesnapshots"], ["get", "list"]),
            rule("snapshot.storage.k8s.io", ["volumesnapshotcontents"], ["get", "list"]),
            // The driver publishes volumes, so the provisioner waits for detach before deleting.
            rule("storage.k8s.io", ["volumeattachments"], READ),
        ]),
        binding("ClusterRoleBinding", "csi-gce-pd-controller-provisioner-binding", "csi-gce-pd-provisioner-role", CONTROLLER_SA),
        clusterRole("csi-gce-pd-attacher-role", [
            rule("", ["persistentvolumes"], [...READ, "update", "patch"]),
            rule("", ["nodes"], READ),
            rule("storage.k8s.io", ["csinodes"], READ),
            rule("storage.k8s.io", ["volumeattachments"], [...READ, "update", "patch"]),
            rule("storage.k8s.io", ["volumeattachments/status"], ["patch"]),
        ]),
        binding("ClusterRoleBinding", "csi-gce-pd-controller-attacher-binding", "csi-gce-pd-attacher-role", CONTROLLER_SA),
        clusterRole("csi-gce-pd-resizer-role", [
            rule("", ["persistentvolumes"], [...READ, "update", "patch"]),
            rule("", ["persistentvolumeclaims"], READ),
            rule("", ["persistentvolumeclaims/status"], ["update", "patch"]),
            rule("storage.k8s.io", ["volumeattributesclasses"], READ),
            events,
            rule("", ["pods"], READ),
        ]),
        binding("ClusterRoleBinding", "csi-gce-pd-resizer-binding", "csi-gce-pd-resizer-role", CONTROLLER_SA),
        // The node plugin reads its own Node object (labels) at start-up.
        clusterRole("csi-gce-pd-node-deploy", [rule("", ["nodes"], ["get", "list"])]),
        binding("ClusterRoleBinding", "csi-gce-pd-node", "csi-gce-pd-node-deploy", NODE_SA),
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "csi-gce-pd-leaderelection-role", namespace: PD_CSI_NAMESPACE, labels: { "k8s-app": APP_LABELS.app } },
            rules: [rule("coordination.k8s.io", ["leases"], ["get", "watch", "list", "delete", "update", "create"])],
        },
        binding("RoleBinding", "csi-gce-pd-controller-leaderelection-binding", "csi-gce-pd-leaderelection-role", CONTROLLER_SA),
    ];
}

const namespaceEnv = { name: "PDCSI_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } };
const nodeNameEnv = { name: "KUBE_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } };

/** A leader-elected controller sidecar with its health endpoint on `port` (host network: ports must differ). */
function sidecar(name: string, image: string, port: number, extraArgs: readonly string[]): Record<string, unknown> {
    return {
        name,
        image,
        args: [
            "--v=5",
            `--csi-address=${SOCKET}`,
            `--http-endpoint=:${port}`,
            "--leader-election",
            "--leader-election-namespace=$(PDCSI_NAMESPACE)",
            ...extraArgs,
        ],
        env: [namespaceEnv],
        ports: [{ containerPort: port, name: "http-endpoint", protocol: "TCP" }],
        livenessProbe: {
            failureThreshold: 1,
            httpGet: { path: "/healthz/leader-election", port: "http-endpoint" },
            initialDelaySeconds: 10,
            timeoutSeconds: 10,
            periodSeconds: 20,
        },
        volumeMounts: [{ name: "socket-dir", mountPath: "/csi" }],
    };
}

/** Upstream's `base/controller/controller.yaml` with the stable-master overlay's attacher args. */
function controllerDeployment(): KubernetesObject {
    return workload(
        "Deployment",
        { name: "csi-gce-pd-controller", namespace: PD_CSI_NAMESPACE },
        APP_LABELS,
        {
            // The metadata server then sees the node itself, whatever the CNI does with pod addresses.
            hostNetwork: true,
            nodeSelector: { "kubernetes.io/os": "linux" },
            serviceAccountName: CONTROLLER_SA,
            priorityClassName: "system-cluster-critical",
            // Every node runs as the same service account, so any node will do, control planes included.
            tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
            containers: [
                sidecar("csi-provisioner", PD_CSI_IMAGES.provisioner, 22011, [
                    "--feature-gates=Topology=true",
                    "--timeout=250s",
                    "--extra-create-metadata",
                    "--default-fstype=ext4",
                    "--controller-publish-readonly=true",
                ]),
                sidecar("csi-attacher", PD_CSI_IMAGES.attacher, 22012, ["--timeout=250s", "--default-fstype=ext4", "--max-grpc-log-length=10000"]),
                sidecar("csi-resizer", PD_CSI_IMAGES.resizer, 22013, ["--handle-volume-inuse-error=false"]),
                {
                    name: "gce-pd-driver",
                    image: PD_CSI_IMAGES.driver,
                    command: ["/gce-pd-csi-driver"],
                    args: [
                        "--v=5",
                        `--endpoint=unix:${SOCKET}`,
                        "--supports-dynamic-iops-provisioning=hyperdisk-balanced,hyperdisk-extreme",
                        "--supports-dynamic-throughput-provisioning=hyperdisk-balanced,hyperdisk-throughput,hyperdisk-ml",
                        "--enable-data-cache",
                        "--run-node-service=false",
                        "--enable-multitenancy=false",
                    ],
                    // No GOOGLE_APPLICATION_CREDENTIALS: ADC falls through to the metadata server.
                    volumeMounts: [{ name: "socket-dir", mountPath: "/csi" }],
                },
            ],
            volumes: [{ name: "socket-dir", emptyDir: {} }],
        },
        { spec: { replicas: 1 } },
    );
}

/** Host directories the node plugin mounts (upstream's `base/node_linux/node.yaml`). */
const NODE_HOST_PATHS: readonly { name: string; path: string; mountPath: string; type?: string; propagation?: "Bidirectional"; readOnly?: true }[] = [
    {
        name: "kubelet-plugin-dir",
        path: "/var/lib/kubelet/plugins/kubernetes.io/csi",
        mountPath: "/var/lib/kubelet/plugins/kubernetes.io/csi",
        type: "DirectoryOrCreate",
        propagation: "Bidirectional",
    },
    { name: "kubelet-pods", path: "/var/lib/kubelet/pods", mountPath: "/var/lib/kubelet/pods", propagation: "Bidirectional" },
    { name: "plugin-dir", path: `/var/lib/kubelet/plugins/${PD_CSI_DRIVER}/`, mountPath: "/csi", type: "DirectoryOrCreate" },
    { name: "device-dir", path: "/dev", mountPath: "/dev", type: "Directory" },
    // udev rules and socket: the driver triggers the host's udevadm to name new disks.
    { name: "udev-rules-etc", path: "/etc/udev", mountPath: "/etc/udev", type: "Directory" },
    { name: "udev-rules-lib", path: "/lib/udev", mountPath: "/lib/udev", type: "Directory" },
    { name: "udev-socket", path: "/run/udev", mountPath: "/run/udev", type: "Directory" },
    { name: "sys", path: "/sys", mountPath: "/sys", type: "Directory" },
    { name: "lib-modules", path: "/lib/modules", mountPath: "/lib/modules", type: "Directory", readOnly: true },
];

function nodeDaemonSet(): KubernetesObject {
    return workload("DaemonSet", { name: "csi-gce-pd-node", namespace: PD_CSI_NAMESPACE }, APP_LABELS, {
        hostNetwork: true,
        priorityClassName: "system-node-critical",
        serviceAccountName: NODE_SA,
        nodeSelector: { "kubernetes.io/os": "linux" },
        // Every node, tainted dedicated pools and control planes included, may mount volumes.
        tolerations: [{ operator: "Exists" }],
        containers: [
            {
                name: "csi-driver-registrar",
                image: PD_CSI_IMAGES.nodeDriverRegistrar,
                args: ["--v=5", `--csi-address=${SOCKET}`, `--kubelet-registration-path=/var/lib/kubelet/plugins/${PD_CSI_DRIVER}/csi.sock`],
                env: [nodeNameEnv],
                volumeMounts: [
                    { name: "plugin-dir", mountPath: "/csi" },
                    { name: "registration-dir", mountPath: "/registration" },
                ],
            },
            {
                name: "gce-pd-driver",
                image: PD_CSI_IMAGES.driver,
                args: ["--v=5", `--endpoint=unix:${SOCKET}`, "--run-controller-service=false", "--enable-data-cache", "--node-name=$(KUBE_NODE_NAME)"],
                // Formats and mounts block devices on the host.
                securityContext: { privileged: true },
                env: [nodeNameEnv],
                volumeMounts: NODE_HOST_PATHS.map((p) => ({
                    name: p.name,
                    mountPath: p.mountPath,
                    ...(p.propagation ? { mountPropagation: p.propagation } : {}),
                    ...(p.readOnly ? { readOnly: true } : {}),
                })),
            },
        ],
        volumes: [
            { name: "registration-dir", hostPath: { path: "/var/lib/kubelet/plugins_registry/", type: "Directory" } },
            ...NODE_HOST_PATHS.map((p) => ({ name: p.name, hostPath: { path: p.path, ...(p.type ? { type: p.type } : {}) } })),
        ],
    });
}

/** The PD CSI driver's objects: namespace, service accounts, RBAC, controller, node plugin, CSIDriver. */
export function gcePdCsiObjects(): KubernetesObject[] {
    const serviceAccount = (name: string): KubernetesObject => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: PD_CSI_NAMESPACE } });
    return [
        {
            apiVersion: "v1",
            kind: "Namespace",
            // The node plugin is privileged and mounts host paths.
            metadata: { name: PD_CSI_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
        },
        serviceAccount(NODE_SA),
        serviceAccount(CONTROLLER_SA),
        ...rbacObjects(),
        controllerDeployment(),
        nodeDaemonSet(),
        {
            apiVersion: "storage.k8s.io/v1",
            kind: "CSIDriver",
            metadata: { name: PD_CSI_DRIVER },
            spec: { attachRequired: true, podInfoOnMount: false },
        },
    ];
}
