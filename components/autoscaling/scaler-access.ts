import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { grantProjectRoles } from "../shared/iam-grants";
import { federatedPrincipal, FederationPool, KubernetesServiceAccount } from "../shared/workload-identity";

/**
 * What a scale update does on Google Cloud: create and delete worker VMs (on the pool's
 * subnetwork and reserved addresses) and read the project. Nothing else in the project.
 */
export const SCALER_PROJECT_ROLES = ["roles/compute.instanceAdmin.v1", "roles/compute.networkUser", "roles/browser"] as const;

export interface ScalerAccessArgs {
    readonly project: string;
    readonly clusterName: string;
    readonly federation: pulumi.Input<FederationPool>;
    /** The scaler's Kubernetes service account: the only principal allowed to act as the scaler. */
    readonly kubernetesServiceAccount: KubernetesServiceAccount;
    /** The worker VMs run as this account: the scaler may attach it, and no other. */
    readonly nodeServiceAccountEmail: pulumi.Input<string>;
    /** The Pulumi state backend's bucket and the stack's KMS key (they exist before the stack). */
    readonly stateBucket: string;
    readonly kmsKey: string;
}

/**
 * The scaler's Google identity: a service account that exactly one Kubernetes service account
 * may act as, through the cluster's federation (Compute Engine does not take federated
 * principals directly). No key is ever created for it.
 */
export class ScalerAccess extends pulumi.ComponentResource {
    readonly serviceAccountEmail: pulumi.Output<string>;

    constructor(name: string, args: ScalerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:ScalerAccess", name, {}, opts);
        const parent = { parent: this };
        const account = new gcp.serviceaccount.Account(
            `${name}-sa`,
            { accountId: `${args.clusterName}-scaler`, displayName: "Cluster scaler (pulumi up of the worker pool)" },
            parent,
        );
        new gcp.serviceaccount.IAMMember(
            `${name}-federated`,
            {
                serviceAccountId: account.name,
                role: "roles/iam.workloadIdentityUser",
                member: pulumi.output(args.federation).apply((pool) => federatedPrincipal(pool, args.kubernetesServiceAccount)),
            },
            parent,
        );
        grantProjectRoles(name, args.project, SCALER_PROJECT_ROLES, account.member, parent);
        new gcp.serviceaccount.IAMMember(
            `${name}-act-as-nodes`,
            {
                serviceAccountId: pulumi.interpolate`projects/${args.project}/serviceAccounts/${args.nodeServiceAccountEmail}`,
                role: "roles/iam.serviceAccountUser",
                member: account.member,
            },
            parent,
        );
        new gcp.storage.BucketIAMMember(`${name}-state`, { bucket: args.stateBucket, role: "roles/storage.objectAdmin", member: account.member }, parent);
        new gcp.kms.CryptoKeyIAMMember(
            `${name}-secrets`,
            { cryptoKeyId: args.kmsKey, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: account.member },
            parent,
        );
        this.serviceAccountEmail = account.email;
        this.registerOutputs({ serviceAccountEmail: this.serviceAccountEmail });
    }
}
