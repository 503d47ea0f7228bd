import { z } from "zod";
import { EXTRA_POOL_CAPACITY } from "./address-plan";
import { flag, machineType, oneOf, wholeNumberIn } from "./fields";

/** The Kubernetes layers on top of the cluster, each of which the stack may switch off. */
export const PLATFORM_LAYERS = ["istio", "monitoring", "logging", "tracing", "kiali"] as const;
export type PlatformLayer = (typeof PLATFORM_LAYERS)[number];

export const STORAGE_PROVIDERS = ["gce-pd", "local-path"] as const;
export type StorageProvider = (typeof STORAGE_PROVIDERS)[number];

/**
 * What a destroy does with the buckets that hold data (Loki's chunks, the etcd snapshots): `keep`
 * leaves them and their objects (Pulumi forgets them; the destroy completes), `delete` empties
 * and deletes them.
 */
export const BUCKETS_ON_DESTROY = ["keep", "delete"] as const;
export type BucketsOnDestroy = (typeof BUCKETS_ON_DESTROY)[number];

/** The validated platform section of the stack config. */
export interface PlatformConfig {
    /** Which optional layers are installed (Cilium and the default StorageClass always are). */
    readonly layers: Readonly<Record<PlatformLayer, boolean>>;
    readonly storageProvider: StorageProvider;
    /** Share of requests Istio traces, 1-100 (%). */
    readonly traceSamplingPercent: number;
    readonly bucketsOnDestroy: BucketsOnDestroy;
    readonly loki: {
        readonly retentionDays: number;
        /** Replicas of each of write, read and backend (they spread one per node). */
        readonly replicas: number;
        /** Dedicated, tainted Loki nodes; 0 runs Loki on the workers. */
        readonly nodeCount: number;
        readonly machineType: string;
    };
}

/** Dedicated pools take their addresses from the address plan's extra-pool range (16 addresses). */
export const MAX_LOKI_NODES = EXTRA_POOL_CAPACITY;

/** Decoders of the platform keys, by short name (Pulumi.yaml declares the same keys). */
export const platformKeys = {
    enableIstio: flag,
    enableMonitoring: flag,
    enableLogging: flag,
    enableTracing: flag,
    enableKiali: flag,
    storageProvider: oneOf(STORAGE_PROVIDERS),
    traceSamplingPercent: wholeNumberIn(1, 100),
    bucketsOnDestroy: oneOf(BUCKETS_ON_DESTROY),
    lokiRetentionDays: wholeNumberIn(1, 3650),
    lokiReplicas: wholeNumberIn(1, 9),
    lokiNodeCount: wholeNumberIn(0, MAX_LOKI_NODES),
    lokiMachineType: machineType,
};

type PlatformKey = keyof typeof platformKeys;
type Decoded = z.output<z.ZodObject<typeof platformKeys>> & { readonly minWorkers: number };

/** Problems that involve more than one key, each against the key to change. */
export function platformProblems(c: Decoded): { key: PlatformKey; message: string }[] {
    const problems: { key: PlatformKey; message: string }[] = [];
    if (c.enableKiali && !(c.enableIstio && c.enableMonitoring)) {
        problems.push({ key: "enableKiali", message: "needs enableIstio and enableMonitoring (Kiali draws the mesh from Istio's Prometheus metrics)" });
    }
    // The chart spreads write, read and backend replicas one per node (required anti-affinity).
    const nodes = c.lokiNodeCount > 0 ? c.lokiNodeCount : c.minWorkers;
    const where = c.lokiNodeCount > 0 ? `lokiNodeCount (${c.lokiNodeCount})` : `minWorkers (${c.minWorkers}), as lokiNodeCount is 0`;
    if (c.enableLogging && c.lokiReplicas > nodes) {
        problems.push({ key: "lokiReplicas", message: `must not exceed ${where}: Loki places one replica of each component per node` });
    }
    return problems;
}

export function toPlatformConfig(c: Decoded): PlatformConfig {
    return {
        layers: { istio: c.enableIstio, monitoring: c.enableMonitoring, logging: c.enableLogging, tracing: c.enableTracing, kiali: c.enableKiali },
        storageProvider: c.storageProvider,
        traceSamplingPercent: c.traceSamplingPercent,
        bucketsOnDestroy: c.bucketsOnDestroy,
        loki: { retentionDays: c.lokiRetentionDays, replicas: c.lokiReplicas, nodeCount: c.lokiNodeCount, machineType: c.lokiMachineType },
    };
}
