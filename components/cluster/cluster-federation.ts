import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Jwk } from "./pki";
import { FederationPool } from "../shared/workload-identity";

export interface ClusterFederationArgs {
    readonly project: string;
    readonly clusterName: string;
    /** The API server's --service-account-issuer: STS checks the tokens' `iss` against it. */
    readonly issuer: string;
    /** The cluster's service-account signing keys, computed from the program-owned key. */
    readonly jwks: pulumi.Input<{ readonly keys: readonly Jwk[] }>;
}

/**
 * Workload Identity Federation for the self-managed cluster: Google's STS trusts the cluster's
 * service-account tokens (issuer + uploaded JWKS, so the cluster need not be reachable). Each
 * workload is then granted to its own principal (one Kubernetes service account), no key file.
 */
export class ClusterFederation extends pulumi.ComponentResource {
    readonly pool: pulumi.Output<FederationPool>;

    constructor(name: string, args: ClusterFederationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:ClusterFederation", name, {}, opts);
        const parent = { parent: this };
        // Pool and provider ids are soft-deleted for 30 days: a suffix lets destroy + up reuse the stack.
        const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 3 }, parent);
        const pool = new gcp.iam.WorkloadIdentityPool(
            `${name}-pool`,
            {
                workloadIdentityPoolId: pulumi.interpolate`${args.clusterName}-${suffix.hex}`,
                displayName: `${args.clusterName} cluster`,
                description: "Service-account tokens of the self-managed cluster",
            },
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
        this.pool = pulumi
            .all([project.number, pool.workloadIdentityPoolId, provider.workloadIdentityPoolProviderId])
            .apply(([projectNumber, poolId, providerId]) => ({
                projectNumber: String(projectNumber),
                poolId,
                providerId,
            }));
        this.registerOutputs({ pool: this.pool });
    }
}
