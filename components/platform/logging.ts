import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { namespace } from "../shared/cluster-objects";
import { helmRelease } from "../shared/helm-charts";
import { BucketsOnDestroy } from "../../config/platform-config";
import { LokiBucket } from "./loki-bucket";
import { LOKI_CREDENTIALS, LOKI_SERVICE_ACCOUNT, LokiPlacement, lokiValues } from "./loki-values";
import { LOKI } from "./service-addresses";
import { credentialConfigMapData, FederationPool } from "../shared/workload-identity";

export interface LoggingArgs {
    readonly project: string;
    /** The bucket's location. */
    readonly region: string;
    readonly clusterName: string;
    /** Days Loki keeps logs (its compactor deletes older ones). */
    readonly retentionDays: number;
    /** Whether a destroy keeps the bucket (config bucketsOnDestroy). */
    readonly bucketOnDestroy: BucketsOnDestroy;
    /** Replicas of each of write, read and backend. */
    readonly replicas: number;
    readonly storageClass: string;
    /** The cluster's Workload Identity Federation: Loki's pods reach GCS through it. */
    readonly federation: pulumi.Input<FederationPool>;
    /** kube-prometheus-stack, when installed: Loki's ServiceMonitor needs its CRDs. */
    readonly monitoring?: pulumi.Resource;
    /** The dedicated Loki nodes' selector and taint, when the stack has them. */
    readonly placement?: LokiPlacement;
    /** The default StorageClass and the nodes Loki runs on. */
    readonly after: readonly pulumi.Resource[];
}

/**
 * Loki (SimpleScalable) on a GCS bucket it reaches through Workload Identity Federation: the
 * pods exchange their own projected service-account token at Google's STS; no key exists.
 */
export class Logging extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly bucketName: pulumi.Output<string>;

    constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:Logging", name, {}, opts);
        const parent = { parent: this };
        const bucket = new LokiBucket(
            `${name}-bucket`,
            {
                project: args.project,
                location: args.region,
                clusterName: args.clusterName,
                retentionDays: args.retentionDays,
                onDestroy: args.bucketOnDestroy,
                federation: args.federation,
                lokiServiceAccount: { namespace: LOKI.namespace, name: LOKI_SERVICE_ACCOUNT },
            },
            parent,
        );
        this.bucketName = bucket.bucketName;
        const ns = namespace(LOKI.namespace, {}, { ...parent, dependsOn: [...args.after] });
        // Holds no secret: only where to exchange which token.
        const credentials = new k8s.core.v1.ConfigMap(
            `${name}-gcp-credentials`,
            {
                metadata: { name: LOKI_CREDENTIALS.configMap, namespace: ns.metadata.name },
                data: pulumi.output(args.federation).apply((pool) => credentialConfigMapData(LOKI_CREDENTIALS, pool)),
            },
            parent,
        );
        const overlay = pulumi.all([bucket.bucketName, args.federation]).apply(([bucketName, pool]) =>
            lokiValues({
                bucketName,
                retentionDays: args.retentionDays,
                replicas: args.replicas,
                storageClass: args.storageClass,
                federation: pool,
                placement: args.placement,
                serviceMonitor: args.monitoring !== undefined,
            }),
        );
        this.release = helmRelease(
            { chart: "loki", name: LOKI.release, namespace: ns.metadata.name, overlay },
            { ...parent, dependsOn: [...args.after, credentials, bucket, ...(args.monitoring ? [args.monitoring] : [])] },
        );
        this.registerOutputs({ bucketName: this.bucketName, release: this.release.status });
    }
}
