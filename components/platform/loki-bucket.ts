import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BucketsOnDestroy } from "../../config/platform-config";
import { bucketOnDestroy } from "../shared/bucket-on-destroy";
import { federatedPrincipal, FederationPool, KubernetesServiceAccount } from "../shared/workload-identity";

/** Days the bucket keeps an object past Loki's own retention: Loki deletes first, the bucket is the backstop. */
export const LIFECYCLE_MARGIN_DAYS = 7;

/** Loki's identity may read, write and delete objects in its bucket: nothing else, nowhere else. */
export const LOKI_BUCKET_ROLE = "roles/storage.objectAdmin";

export interface LokiBucketArgs {
    readonly project: string;
    /** Bucket location (the cluster's region). */
    readonly location: string;
    /** Whether a destroy keeps the bucket and its chunks (config bucketsOnDestroy). */
    readonly onDestroy: BucketsOnDestroy;
    readonly clusterName: string;
    readonly retentionDays: number;
    /** The cluster's Workload Identity Federation (ClusterFederation). */
    readonly federation: pulumi.Input<FederationPool>;
    /** The only identity granted access. */
    readonly lokiServiceAccount: KubernetesServiceAccount;
}

/**
 * Loki's GCS bucket, granted through the cluster's Workload Identity Federation to Loki's
 * Kubernetes service account and to nothing else.
 */
export class LokiBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;

    constructor(name: string, args: LokiBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:LokiBucket", name, {}, opts);
        const parent = { parent: this };
        const onDestroy = bucketOnDestroy(args.onDestroy);
        if (!Number.isInteger(args.retentionDays) || args.retentionDays < 1)
            throw new Error(`retentionDays ${args.retentionDays} must be a whole number of days, 1 or more`);
        // Bucket names are global: a suffix keeps this one unique.
        const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 3 }, parent);
        const bucket = new gcp.storage.Bucket(
            `${name}-chunks`,
            {
                name: pulumi.interpolate`${args.project}-${args.clusterName}-loki-${suffix.hex}`,
                location: args.location,
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                versioning: { enabled: false },
                forceDestroy: onDestroy.forceDestroy,
                lifecycleRules: [{ action: { type: "Delete" }, condition: { age: args.retentionDays + LIFECYCLE_MARGIN_DAYS } }],
                labels: { cluster: args.clusterName, "managed-by": "pulumi" },
            },
            { ...parent, ...onDestroy.options },
        );
        new gcp.storage.BucketIAMMember(
            `${name}-loki-access`,
            {
                bucket: bucket.name,
                role: LOKI_BUCKET_ROLE,
                member: pulumi.output(args.federation).apply((federation) => federatedPrincipal(federation, args.lokiServiceAccount)),
            },
            parent,
        );
        this.bucketName = bucket.name;
        this.registerOutputs({ bucketName: this.bucketName });
    }
}
