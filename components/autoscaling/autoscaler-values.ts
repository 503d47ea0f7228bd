import * as crypto from "crypto";
import { stringify } from "yaml";
import { autoscalerReleaseProblem, CLUSTER_AUTOSCALER_RELEASES } from "../../config/autoscaler-config";
import { CHARTS, HelmValues } from "../shared/helm-charts";

/** Where the scaler runs and answers: the autoscaler dials `host:grpcPort`, and TLS checks `host`. */
export const SCALER = { name: "scaler", namespace: "autoscaler", serviceAccount: "scaler", grpcPort: 8086, httpPort: 9464 } as const;

/** The host part of the autoscaler's `address`: the server certificate must carry it as a SAN. */
export const SCALER_HOST = `${SCALER.name}.${SCALER.namespace}.svc`;

/** Names the server certificate answers to (the address the autoscaler uses comes first). */
export const SCALER_DNS_NAMES = [SCALER_HOST, `${SCALER_HOST}.cluster.local`, SCALER.name] as const;

const CLOUD_PROVIDER = "externalgrpc";
const RELEASE = "cluster-autoscaler";
/** The chart's "cluster-autoscaler.instance-name" labels, on its pods and its Service alike; the chart names itself "<cloudProvider>-<chart>". */
const CHART_LABELS = { "app.kubernetes.io/instance": RELEASE, "app.kubernetes.io/name": `${CLOUD_PROVIDER}-${CHARTS.clusterAutoscaler.chart}` } as const;

/**
 * The cluster-autoscaler's release and what it mounts at configDir: the cloud-config file from a
 * ConfigMap (no secret in it, so renders and reviews show the scaler's address) and its client
 * certificate from a Secret of the same name.
 */
export const CLUSTER_AUTOSCALER = {
    release: RELEASE,
    configMap: `${RELEASE}-cloud-config`,
    configSecret: `${RELEASE}-cloud-config`,
    configDir: "/config",
    serviceLabels: CHART_LABELS,
    podLabels: CHART_LABELS,
    /** Its metrics and health port (the chart's containerPort, fixed in its template). */
    metricsPort: 8085,
} as const;

/** File names inside the mounted Secret. */
export const CLOUD_CONFIG_FILES = { config: "cloud-config", cert: "tls.crt", key: "tls.key", caCert: "ca.crt" } as const;

/** One side of the mTLS: its certificate and key, and the CA it checks its peer against. */
export interface TlsFiles<Pem> {
    readonly cert: Pem;
    readonly key: Pem;
    readonly caCert: Pem;
}

/** A TLS Secret's data under the file names both sides mount (the scaler's flags name the same files). */
export function tlsSecretData<Pem>(files: TlsFiles<Pem>): Record<string, Pem> {
    return { [CLOUD_CONFIG_FILES.cert]: files.cert, [CLOUD_CONFIG_FILES.key]: files.key, [CLOUD_CONFIG_FILES.caCert]: files.caCert };
}

/** The autoscaler's ConfigMap: its cloud-config, mounted beside the client certificate at CLUSTER_AUTOSCALER.configDir. */
export function cloudConfigMapData(cloudConfig: string): Record<string, string> {
    return { [CLOUD_CONFIG_FILES.config]: cloudConfig };
}

export interface CloudConfig {
    /** host:port of the scaler. */
    readonly address: string;
    /** Directory where the client certificate, key and CA certificate are mounted. */
    readonly certDir: string;
    /** Per-call timeout; every scaler RPC answers well inside it (the `up` runs in the background). */
    readonly grpcTimeoutSeconds: number;
}

/**
 * The externalgrpc provider's --cloud-config file (cluster-autoscaler's externalgrpc README):
 * address, client certificate, key and CA (mTLS) and the call timeout.
 */
export function renderCloudConfig(config: CloudConfig): string {
    if (!/^[a-z0-9.-]+:\d{1,5}$/.test(config.address)) throw new Error(`address "${config.address}" must be host:port`);
    if (!config.certDir.startsWith("/")) throw new Error(`certDir "${config.certDir}" must be absolute`);
    if (!(config.grpcTimeoutSeconds > 0)) throw new Error(`grpcTimeoutSeconds ${config.grpcTimeoutSeconds} must be positive`);
    return stringify({
        address: config.address,
        cert: `${config.certDir}/${CLOUD_CONFIG_FILES.cert}`,
        key: `${config.certDir}/${CLOUD_CONFIG_FILES.key}`,
        cacert: `${config.certDir}/${CLOUD_CONFIG_FILES.caCert}`,
        grpc_timeout: `${config.grpcTimeoutSeconds}s`,
    });
}

/** The pod-template annotation whose change rolls the autoscaler when its mounted config changes. */
export const CONFIG_CHECKSUM_ANNOTATION = "checksum/cloud-config";

/** What the autoscaler reads from /config at start (and never again). */
export interface AutoscalerConfigFiles {
    readonly cloudConfig: string;
    readonly certPem: string;
    readonly caCertPem: string;
}

/**
 * A digest of the autoscaler's config, certificates included. The autoscaler reads its client
 * certificate once, so a renewed one in the Secret would go unused until the old one expired;
 * with this on its pod template, the new certificate changes the template and the Deployment
 * rolls. The private key is left out: a digest of it would be a checkable fingerprint of a
 * secret in plain values, and a new key always comes with a new certificate (the CSR changes).
 * Certificates are public, so the annotation may be plain.
 */
export function configChecksum(files: AutoscalerConfigFiles): string {
    const hash = crypto.createHash("sha256");
    for (const part of [files.cloudConfig, files.certPem, files.caCertPem]) hash.update(`${part.length}:${part}`);
    return hash.digest("hex");
}

export interface ClusterAutoscalerValuesArgs {
    readonly clusterName: string;
    /** The cluster's Kubernetes minor: the autoscaler's release must match it. */
    readonly kubernetesMinor: number;
    readonly scaleDownUnneededTime: string;
    /** configChecksum() of what it mounts: a new value restarts it. */
    readonly configChecksum: string;
}

/**
 * The computed part of the chart's values (values/cluster-autoscaler.yaml has the rest). The
 * chart renders its Deployment only when autoDiscovery.clusterName is set, and passes no
 * --cloud-config for externalgrpc: both are set here, with the ConfigMap and the Secret projected
 * into one volume at /config (the cloud-config names the certificate files beside it), and the
 * pod template carries their checksum, so a renewed client certificate restarts it. Its
 * own ServiceMonitor stays off (autoscalingMonitors() scrapes it without tying it to Prometheus).
 */
export function clusterAutoscalerValues(args: ClusterAutoscalerValuesArgs): HelmValues {
    const imageTag = CLUSTER_AUTOSCALER_RELEASES[args.kubernetesMinor];
    if (imageTag === undefined) throw new Error(autoscalerReleaseProblem(args.kubernetesMinor));
    return {
        cloudProvider: CLOUD_PROVIDER,
        autoDiscovery: { clusterName: args.clusterName },
        image: { tag: imageTag },
        extraArgs: { "cloud-config": `${CLUSTER_AUTOSCALER.configDir}/${CLOUD_CONFIG_FILES.config}`, "scale-down-unneeded-time": args.scaleDownUnneededTime },
        extraVolumes: [
            {
                name: "cloud-config",
                projected: { sources: [{ configMap: { name: CLUSTER_AUTOSCALER.configMap } }, { secret: { name: CLUSTER_AUTOSCALER.configSecret } }] },
            },
        ],
        extraVolumeMounts: [{ name: "cloud-config", mountPath: CLUSTER_AUTOSCALER.configDir, readOnly: true }],
        podAnnotations: { [CONFIG_CHECKSUM_ANNOTATION]: args.configChecksum },
        serviceMonitor: { enabled: false },
    };
}
