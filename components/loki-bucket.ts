import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Jwk } from "./pki";
import { federatedPrincipal, FederationPool, KubernetesServiceAccount } from "./workload-identity";

/** Days the bucket keeps an object past Loki's own retention: Loki deletes first, the bucket is the backstop. */
export const LIFECYCLE_MARGIN_DAYS = 7;

/** Loki's identity may read, write and delete objects in its bucket: nothing else, nowhere else. */
export const LOKI_BUCKET_ROLE = "roles/storage.objectAdmin";

export interface LokiBucketArgs {
    readonly project: string;
    /** Bucket location (the cluster's region). */
    readonly location: string;
    readonly clusterName: string;
    readonly retentionDays: number;
    /** The API server's --service-account-issuer: STS checks the tokens' `iss` against it. */
    readonly issuer: string;
    /** The cluster's service-account signing keys, computed from the program-owned key. */
    readonly jwks: pulumi.Input<{ readonly keys: readonly Jwk[] }>;
    /** The only identity granted access. */
    readonly lokiServiceAccount: KubernetesServiceAccount;
}

/**
 * Loki's GCS bucket and the Workload Identity Federation that lets Loki's Kubernetes service
 * account, and only it, use the bucket with the cluster's own tokens.
 */
export class LokiBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly pool: pulumi.Output<FederationPool>;

    constructor(name: string, args: LokiBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:LokiBucket", name, {}, opts);
        const parent = { parent: this };
        if (!Number.isInteger(args.retentionDays) || args.retentionDays < 1) throw new Error(`retentionDays ${args.retentionDays} must be a whole number of days, 1 or more`);
        // Pool and provider ids are soft-deleted for 30 days: a suffix lets destroy + up reuse the stack.
        const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 3 }, parent);
        const bucket = new gcp.storage.Bucket(
            `${name}-chunks`,
            {
                name: pulumi.interpolate`${args.project}-${args.clusterName}-loki-${suffix.hex}`,
                location: args.location,
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                versioning: { enabled: false },
                forceDestroy: false,
                lifecycleRules: [{ action: { type: "Delete" }, condition: { age: args.retentionDays + LIFECYCLE_MARGIN_DAYS } }],
                labels: { cluster: args.clusterName, "managed-by": "pulumi" },
            },
            parent,
        );
        const pool = new gcp.iam.WorkloadIdentityPool(
            `${name}-pool`,
            { workloadIdentityPoolId: pulumi.interpolate`${args.clusterName}-${suffix.hex}`, displayName: `${args.clusterName} cluster`, description: "Service-account tokens of the self-managed cluster" },
            parent,
        );
        const provider = new gcp.iam.WorkloadIdentityPoolProvider(
            `${name}-provider`,
            {
                workloadIdentityPoolId: pool.workloadIdentityPoolId,
                workloadIdentityPoolProviderId: "kubernetes",
                displayName: "Kubernetes service accounts",
                attributeMapping: { "google.subject": "assertion.sub" },
                oidc: { issuerUri: args.issuer, jwksJson: pulumi.output(args.jwks).apply((jwks) => JSON.stringify(jwks)) },
            },
            parent,
        );
        const project = gcp.organizations.getProjectOutput({ projectId: args.project }, parent);
        this.pool = pulumi.all([project.number, pool.workloadIdentityPoolId, provider.workloadIdentityPoolProviderId]).apply(([projectNumber, poolId, providerId]) => ({
            projectNumber: String(projectNumber),
            poolId,
            providerId,
        }));
        new gcp.storage.BucketIAMMember(
            `${name}-loki-access`,
            { bucket: bucket.name, role: LOKI_BUCKET_ROLE, member: this.pool.apply((federation) => federatedPrincipal(federation, args.lokiServiceAccount)) },
            parent,
        );
        this.bucketName = bucket.name;
        this.registerOutputs({ bucketName: this.bucketName, pool: this.pool });
    }
}
