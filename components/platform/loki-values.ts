import { HelmValues } from "../shared/helm-charts";
import { LOKI_POOL, NodeTaint } from "../../config/node-pools";
import { CredentialMount, credentialFilePath, credentialVolume, FederationPool } from "../shared/workload-identity";

/** Where Loki's pods find their Google credentials: a projected volume (credential file + token). */
export const LOKI_CREDENTIALS: CredentialMount = { configMap: "loki-gcp-credentials", mountPath: "/var/run/secrets/gcp" };

export const LOKI_SERVICE_ACCOUNT = "loki";

export interface LokiPlacement {
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly taint: NodeTaint;
}

/** Where Loki runs when the stack has dedicated Loki nodes. */
export const LOKI_PLACEMENT: LokiPlacement = { nodeSelector: LOKI_POOL.labels, taint: LOKI_POOL.taints[0] };

export interface LokiValuesArgs {
    readonly bucketName: string;
    readonly retentionDays: number;
    /** Replicas of write, read and backend each. */
    readonly replicas: number;
    readonly storageClass: string;
    /** The cluster's federation: Loki's tokens carry its provider's audience. */
    readonly federation: FederationPool;
    /** Set when Loki has dedicated nodes. */
    readonly placement?: LokiPlacement;
    /** kube-prometheus-stack is installed: a ServiceMonitor lets Prometheus scrape Loki (its alerts need the metrics). */
    readonly serviceMonitor: boolean;
}

/** Loki's computed values: bucket, retention, replicas, Workload Identity Federation mounts, placement. */
export function lokiValues(args: LokiValuesArgs): HelmValues {
    if (!Number.isInteger(args.replicas) || args.replicas < 1) throw new Error(`replicas ${args.replicas} must be a whole number, 1 or more`);
    const placement = args.placement
        ? {
              nodeSelector: args.placement.nodeSelector,
              tolerations: [{ key: args.placement.taint.key, operator: "Equal", value: args.placement.taint.value, effect: args.placement.taint.effect }],
          }
        : {};
    const component = (persistent: boolean) => ({
        replicas: args.replicas,
        ...placement,
        ...(persistent ? { persistence: { storageClass: args.storageClass } } : {}),
    });
    return {
        serviceAccount: { create: true, name: LOKI_SERVICE_ACCOUNT },
        monitoring: { serviceMonitor: { enabled: args.serviceMonitor } },
        loki: {
            storage: { bucketNames: { chunks: args.bucketName, ruler: args.bucketName } },
            limits_config: { retention_period: `${args.retentionDays * 24}h` },
            // A quorum of 2 out of 3 tolerates one lost replica; fewer replicas cannot replicate.
            commonConfig: { replication_factor: args.replicas >= 3 ? 3 : 1 },
        },
        global: {
            extraEnv: [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: credentialFilePath(LOKI_CREDENTIALS) }],
            extraVolumes: [credentialVolume("gcp-credentials", LOKI_CREDENTIALS, args.federation)],
            extraVolumeMounts: [{ name: "gcp-credentials", mountPath: LOKI_CREDENTIALS.mountPath, readOnly: true }],
        },
        write: component(true),
        read: component(false),
        backend: component(true),
        gateway: { ...placement },
    };
}
