import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { grantProjectRoles } from "../shared/iam-grants";
import { CiVariable, GITLAB_ATTRIBUTE_MAPPING, gitlabAttributeCondition, principalSet, pulumiBackends } from "./gitlab-federation";

/** What `pulumi up` of the platform creates: VMs and network, service accounts and their grants, the cluster's federation pool, Loki's bucket. */
export const DEPLOY_PROJECT_ROLES = [
    "roles/compute.admin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/storage.admin",
] as const;
/** A preview reads; it takes no lock on a gs:// backend. */
export const PREVIEW_PROJECT_ROLES = ["roles/viewer"] as const;
/** Google APIs the platform and its CI call. */
export const REQUIRED_SERVICES = [
    "compute.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "sts.googleapis.com",
    "cloudkms.googleapis.com",
    "storage.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudresourcemanager.googleapis.com",
] as const;

export interface CiAccessArgs {
    readonly project: string;
    /** Where the state bucket, the KMS key ring and the image repository live. */
    readonly region: string;
    /** Prefix of the service accounts and the key ring, e.g. "boutique". */
    readonly prefix: string;
    readonly gitlab: {
        /** The id_tokens' `iss`: https://gitlab.com, or a self-managed instance's URL. */
        readonly issuer: string;
        /** group[/subgroup]/project: the only project whose pipelines get in. */
        readonly projectPath: string;
    };
}

/**
 * Everything GitLab CI needs to run the platform's stacks without a key: a Workload Identity
 * Pool trusting GitLab's id_tokens for one project; a deploy account only protected refs (the
 * default branch) may impersonate, and a read-mostly preview account for merge requests; the
 * state bucket, the KMS key for stack secrets, and the scaler image's repository.
 */
export class CiAccess extends pulumi.ComponentResource {
    readonly variables: pulumi.Output<Record<CiVariable, string>>;

    constructor(name: string, args: CiAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:ci:CiAccess", name, {}, opts);
        const parent = { parent: this };
        const services = REQUIRED_SERVICES.map(
            (service) => new gcp.projects.Service(`${name}-${service.split(".")[0]}`, { project: args.project, service, disableOnDestroy: false }, parent),
        );
        const after = { parent: this, dependsOn: services };

        // Pool ids are soft-deleted for 30 days: a suffix lets destroy + up reuse the stack.
        const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 3 }, parent);
        const pool = new gcp.iam.WorkloadIdentityPool(
            `${name}-pool`,
            {
                project: args.project,
                workloadIdentityPoolId: pulumi.interpolate`gitlab-${suffix.hex}`,
                displayName: "GitLab CI",
                description: `Pipelines of ${args.gitlab.projectPath}`,
            },
            after,
        );
        const provider = new gcp.iam.WorkloadIdentityPoolProvider(
            `${name}-provider`,
            {
                project: args.project,
                workloadIdentityPoolId: pool.workloadIdentityPoolId,
                workloadIdentityPoolProviderId: "gitlab",
                displayName: "GitLab id_tokens",
                attributeMapping: { ...GITLAB_ATTRIBUTE_MAPPING },
                attributeCondition: gitlabAttributeCondition(args.gitlab.projectPath),
                oidc: { issuerUri: args.gitlab.issuer },
            },
            parent,
        );
        const projectNumber = gcp.organizations.getProjectOutput({ projectId: args.project }, parent).number;
        const poolRef = pulumi.all([projectNumber, pool.workloadIdentityPoolId]).apply(([number, poolId]) => ({ projectNumber: String(number), poolId }));

        const deploy = this.account(
            name,
            "deploy",
            args,
            poolRef.apply((p) => principalSet(p, "ref_protected", "true")),
            DEPLOY_PROJECT_ROLES,
            after,
        );
        const preview = this.account(
            name,
            "preview",
            args,
            poolRef.apply((p) => principalSet(p, "project_path", args.gitlab.projectPath)),
            PREVIEW_PROJECT_ROLES,
            after,
        );

        const stores = {
            stateBucket: `${args.project}-pulumi-state`,
            project: args.project,
            kmsLocation: args.region,
            keyRing: `${args.prefix}-pulumi`,
            key: "stack-secrets",
        };
        const backends = pulumiBackends(stores);
        const stateBucket = new gcp.storage.Bucket(
            `${name}-state`,
            {
                project: args.project,
                name: stores.stateBucket,
                location: args.region,
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                // Every checkpoint is a new object version: an update gone wrong can be rolled back.
                versioning: { enabled: true },
                lifecycleRules: [{ action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 90 } }],
            },
            after,
        );
        new gcp.storage.BucketIAMMember(`${name}-state-deploy`, { bucket: stateBucket.name, role: "roles/storage.objectAdmin", member: deploy.member }, parent);
        new gcp.storage.BucketIAMMember(
            `${name}-state-preview`,
            { bucket: stateBucket.name, role: "roles/storage.objectViewer", member: preview.member },
            parent,
        );

        const keyRing = new gcp.kms.KeyRing(`${name}-keys`, { project: args.project, name: stores.keyRing, location: stores.kmsLocation }, after);
        const key = new gcp.kms.CryptoKey(
            `${name}-secrets`,
            { name: stores.key, keyRing: keyRing.id, purpose: "ENCRYPT_DECRYPT", rotationPeriod: "7776000s" },
            parent,
        );
        for (const [who, account] of [
            ["deploy", deploy],
            ["preview", preview],
        ] as const) {
            new gcp.kms.CryptoKeyIAMMember(
                `${name}-secrets-${who}`,
                { cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: account.member },
                parent,
            );
        }
        // The platform grants the in-cluster scaler the same key (ScalerAccess): key-level admin, not project-level.
        new gcp.kms.CryptoKeyIAMMember(`${name}-secrets-deploy-grants`, { cryptoKeyId: key.id, role: "roles/cloudkms.admin", member: deploy.member }, parent);

        const images = new gcp.artifactregistry.Repository(
            `${name}-images`,
            { project: args.project, location: args.region, repositoryId: "platform", format: "DOCKER", description: "The scaler's image, built by CI" },
            after,
        );
        new gcp.artifactregistry.RepositoryIamMember(
            `${name}-images-deploy`,
            { project: args.project, location: args.region, repository: images.repositoryId, role: "roles/artifactregistry.writer", member: deploy.member },
            parent,
        );

        this.variables = pulumi
            .all([projectNumber, pool.workloadIdentityPoolId, provider.workloadIdentityPoolProviderId, deploy.email, preview.email, images.repositoryId])
            .apply(([number, poolId, providerId, deployEmail, previewEmail, repository]) => ({
                GCP_WORKLOAD_IDENTITY_PROVIDER: `projects/${number}/locations/global/workloadIdentityPools/${poolId}/providers/${providerId}`,
                GCP_DEPLOY_SERVICE_ACCOUNT: deployEmail,
                GCP_PREVIEW_SERVICE_ACCOUNT: previewEmail,
                PULUMI_BACKEND_URL: backends.stateBackend,
                PULUMI_SECRETS_PROVIDER: backends.secretsProvider,
                SCALER_IMAGE_REPOSITORY: `${args.region}-docker.pkg.dev/${args.project}/${repository}`,
            }));
        this.registerOutputs({ variables: this.variables });
    }

    /** A CI service account: project roles, and impersonable by `impersonators` only (no key). */
    private account(
        name: string,
        role: "deploy" | "preview",
        args: CiAccessArgs,
        impersonators: pulumi.Input<string>,
        projectRoles: readonly string[],
        opts: pulumi.CustomResourceOptions,
    ) {
        const account = new gcp.serviceaccount.Account(
            `${name}-${role}`,
            { project: args.project, accountId: `${args.prefix}-ci-${role}`, displayName: `GitLab CI ${role} (${args.gitlab.projectPath})` },
            opts,
        );
        new gcp.serviceaccount.IAMMember(
            `${name}-${role}-federated`,
            { serviceAccountId: account.name, role: "roles/iam.workloadIdentityUser", member: impersonators },
            { parent: this },
        );
        grantProjectRoles(`${name}-${role}`, args.project, projectRoles, account.member, { parent: this });
        return account;
    }
}
