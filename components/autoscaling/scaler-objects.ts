import { CLOUD_CONFIG_FILES, CLUSTER_AUTOSCALER, SCALER } from "./autoscaler-values";
import { KubernetesObject, workload } from "../shared/kubernetes-object";
import { MONITORING_NAMESPACE } from "../platform/monitoring-objects";
import { credentialConfigMapData, CredentialMount, credentialFilePath, credentialVolume, FederationPool } from "../shared/workload-identity";

/** Where the scaler finds what it mounts. */
export const SCALER_PATHS = {
    tls: "/etc/scaler/tls",
    /** The desired scale, kept on the node's disk: the stack file in the image does not survive a restart. */
    state: "/var/lib/boutique-scaler",
} as const;

/** The scaler's Google credentials (Workload Identity Federation). */
export const SCALER_CREDENTIALS: CredentialMount = { configMap: "scaler-google-credentials", mountPath: "/var/run/secrets/google" };

export const SCALER_TLS_SECRET = "scaler-tls";

/**
 * The pod's host name, used by nothing else: Pulumi writes the host into every stack lock, so a
 * lock naming it can only be the scaler's own (stale once its update was killed; see scaler/stack-lock.ts).
 */
export const SCALER_HOSTNAME = "scaler";

/** After the stop deadline, time to log and exit before the kubelet's SIGKILL. */
const EXIT_MARGIN_SECONDS = 30;

/**
 * How long a stopping scaler waits for its running update, and the pod's grace period. An update
 * that began just before SIGTERM needs the whole budget of one update; past it the scaler exits 1
 * and clears the lock the killed update leaves at its next start. The budget is
 * autoscaler.scaleUpdateMinutes, which config/autoscaler-config.ts already bounds (2-60).
 */
export function stopTimings(updateBudgetMinutes: number): { readonly stopTimeoutSeconds: number; readonly terminationGracePeriodSeconds: number } {
    const stopTimeoutSeconds = updateBudgetMinutes * 60;
    return { stopTimeoutSeconds, terminationGracePeriodSeconds: stopTimeoutSeconds + EXIT_MARGIN_SECONDS };
}

const LABELS = { "app.kubernetes.io/name": SCALER.name, "app.kubernetes.io/part-of": "boutique-platform" } as const;
/** The scaler image's user (Dockerfile: useradd --uid). */
export const RUN_AS = 10001;

export interface ScalerObjectsArgs {
    /** This program, the Pulumi CLI and the scaler (Dockerfile). */
    readonly image: string;
    /** The Pulumi stack the scaler drives. */
    readonly stack: string;
    readonly stateBackendUrl: string;
    /** The cluster's federation and the Google service account the scaler acts as through it. */
    readonly federation: FederationPool;
    readonly googleServiceAccount: string;
    /** The control-plane node whose disk keeps the desired scale. */
    readonly stateNode: string;
    /** The longest one scale update is expected to take (autoscaler.scaleUpdateMinutes): a stop waits that long for one. */
    readonly updateBudgetMinutes: number;
}

function deployment(args: ScalerObjectsArgs): KubernetesObject {
    const stateFile = `${SCALER_PATHS.state}/${args.stack}.json`;
    const { stopTimeoutSeconds, terminationGracePeriodSeconds } = stopTimings(args.updateBudgetMinutes);
    return workload(
        "Deployment",
        { name: SCALER.name, namespace: SCALER.namespace, labels: LABELS },
        LABELS,
        {
            serviceAccountName: SCALER.serviceAccount,
            hostname: SCALER_HOSTNAME,
            terminationGracePeriodSeconds,
            // The scaler needs no Kubernetes API: only the projected token for Google.
            automountServiceAccountToken: false,
            priorityClassName: "system-cluster-critical",
            nodeSelector: { "kubernetes.io/hostname": args.stateNode },
            tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
            // fsGroup: the kubelet writes Secret files as root; the group lets the scaler's user read (and re-read) them.
            securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: "RuntimeDefault" } },
            initContainers: [
                {
                    // hostPath directories are created root-owned: hand this one to the scaler's user.
                    name: "state-owner",
                    image: args.image,
                    command: ["chown", `${RUN_AS}:${RUN_AS}`, SCALER_PATHS.state],
                    securityContext: { runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["CHOWN"] } },
                    volumeMounts: [{ name: "state", mountPath: SCALER_PATHS.state }],
                },
            ],
            containers: [
                {
                    name: SCALER.name,
                    image: args.image,
                    args: [
                        ...["--listen", `0.0.0.0:${SCALER.grpcPort}`, "--http", `0.0.0.0:${SCALER.httpPort}`],
                        ...["--stack", args.stack, "--scale-record", stateFile, "--own-lock-host", SCALER_HOSTNAME],
                        ...["--stop-timeout", String(stopTimeoutSeconds)],
                        ...[
                            "--cert",
                            `${SCALER_PATHS.tls}/${CLOUD_CONFIG_FILES.cert}`,
                            "--key",
                            `${SCALER_PATHS.tls}/${CLOUD_CONFIG_FILES.key}`,
                            "--ca",
                            `${SCALER_PATHS.tls}/${CLOUD_CONFIG_FILES.caCert}`,
                        ],
                    ],
                    env: [
                        { name: "PULUMI_BACKEND_URL", value: args.stateBackendUrl },
                        { name: "GOOGLE_APPLICATION_CREDENTIALS", value: credentialFilePath(SCALER_CREDENTIALS) },
                        { name: "PULUMI_SKIP_UPDATE_CHECK", value: "true" },
                    ],
                    ports: [
                        { name: "grpc", containerPort: SCALER.grpcPort },
                        { name: "metrics", containerPort: SCALER.httpPort },
                    ],
                    readinessProbe: { httpGet: { path: "/readyz", port: "metrics" }, periodSeconds: 5 },
                    livenessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 20, failureThreshold: 6 },
                    // `pulumi up` evaluates the whole program: Node and the providers need room.
                    resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } },
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    volumeMounts: [
                        { name: "tls", mountPath: SCALER_PATHS.tls, readOnly: true },
                        { name: "google", mountPath: SCALER_CREDENTIALS.mountPath, readOnly: true },
                        { name: "state", mountPath: SCALER_PATHS.state },
                    ],
                },
            ],
            volumes: [
                // Mounted whole (no subPath), so a renewed certificate reaches the files the scaler re-reads.
                { name: "tls", secret: { secretName: SCALER_TLS_SECRET, defaultMode: 0o440 } },
                credentialVolume("google", SCALER_CREDENTIALS, args.federation),
                { name: "state", hostPath: { path: SCALER_PATHS.state, type: "DirectoryOrCreate" } },
            ],
        },
        // Never two scalers on one stack, not even during a rollout; never evicted by the autoscaler.
        { spec: { replicas: 1, strategy: { type: "Recreate" } }, podAnnotations: { "cluster-autoscaler.kubernetes.io/safe-to-evict": "false" } },
    );
}

/** Prometheus's pods (the operator labels them so) in the monitoring namespace. */
const PROMETHEUS_PEER = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } },
    podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
} as const;

/**
 * Ingress to the autoscaler namespace: none by default; the autoscaler's pods reach the
 * scaler's gRPC port, Prometheus the scaler's and the autoscaler's metrics ports, nothing else.
 * The kubelet's probes come from the node itself, which Cilium admits whatever the policies
 * (its agent's allow-localhost defaults to auto, i.e. always; the chart's values set neither it
 * nor a policyEnforcementMode other than "default"). Egress stays open: a scale update is a
 * whole `pulumi up` (Google's APIs at addresses no policy can list, the API server through
 * HAProxy, SSH to the nodes, DNS), and an egress list that missed one would fail an update.
 */
export function autoscalerNetworkPolicies(): KubernetesObject[] {
    const policy = (name: string, podSelector: object, ingress: object[]): KubernetesObject => ({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace: SCALER.namespace, labels: { "app.kubernetes.io/part-of": LABELS["app.kubernetes.io/part-of"] } },
        spec: { podSelector, policyTypes: ["Ingress"], ingress },
    });
    const tcp = (port: number) => [{ protocol: "TCP", port }];
    return [
        policy("default-deny-ingress", {}, []),
        policy(SCALER.name, { matchLabels: LABELS }, [
            { from: [{ podSelector: { matchLabels: CLUSTER_AUTOSCALER.podLabels } }], ports: tcp(SCALER.grpcPort) },
            { from: [PROMETHEUS_PEER], ports: tcp(SCALER.httpPort) },
        ]),
        policy(CLUSTER_AUTOSCALER.release, { matchLabels: CLUSTER_AUTOSCALER.podLabels }, [
            { from: [PROMETHEUS_PEER], ports: tcp(CLUSTER_AUTOSCALER.metricsPort) },
        ]),
    ];
}

/**
 * The scaler in the cluster (the mTLS Secret is created apart: it holds a private key): its
 * service account, Google credential configuration, Deployment and Service, and the namespace's
 * NetworkPolicies. It runs on the control plane, so a scale-down can never remove the node it
 * runs on and a scale update never redeploys it.
 */
export function scalerObjects(args: ScalerObjectsArgs): KubernetesObject[] {
    const metadata = (name: string) => ({ name, namespace: SCALER.namespace, labels: LABELS });
    return [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(SCALER.serviceAccount), automountServiceAccountToken: false },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: metadata(SCALER_CREDENTIALS.configMap),
            data: credentialConfigMapData(SCALER_CREDENTIALS, args.federation, args.googleServiceAccount),
        },
        deployment(args),
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: metadata(SCALER.name),
            spec: {
                selector: LABELS,
                ports: [
                    { name: "grpc", port: SCALER.grpcPort, targetPort: "grpc", appProtocol: "grpc" },
                    { name: "metrics", port: SCALER.httpPort, targetPort: "metrics" },
                ],
            },
        },
        ...autoscalerNetworkPolicies(),
    ];
}

/**
 * Prometheus scrapes the scaler and the autoscaler. Applied apart from both (it needs the
 * monitoring CRDs, which wait for the workers): the scaler's own objects depend on nothing
 * a scale update touches.
 */
export function autoscalingMonitors(): KubernetesObject[] {
    const monitor = (name: string, matchLabels: Readonly<Record<string, string>>, port: string): KubernetesObject => ({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name, namespace: SCALER.namespace, labels: LABELS },
        spec: { selector: { matchLabels }, endpoints: [{ port, path: "/metrics", interval: "30s" }] },
    });
    return [monitor(SCALER.name, LABELS, "metrics"), monitor(CLUSTER_AUTOSCALER.release, CLUSTER_AUTOSCALER.serviceLabels, "http")];
}
