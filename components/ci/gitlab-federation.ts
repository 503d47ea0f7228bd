import { GITLAB_PROJECT_PATH } from "../../config/bootstrap-config";

/**
 * GitLab CI's keyless way into Google Cloud: a job's `id_tokens` JWT is exchanged at Google's
 * STS through a Workload Identity Pool provider that trusts GitLab's issuer, then impersonates
 * a service account. Pure values here; `ci-access.ts` creates the resources.
 */
/** Claims of GitLab's id_token that Google may see, as pool attributes (`assertion.<claim>`). */
export const GITLAB_ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.project_path": "assertion.project_path",
    "attribute.ref": "assertion.ref",
    "attribute.ref_type": "assertion.ref_type",
    "attribute.ref_protected": "assertion.ref_protected",
    "attribute.pipeline_source": "assertion.pipeline_source",
} as const;

export type GitlabAttribute = "project_path" | "ref_protected";

/**
 * The provider's attribute condition: only this project's pipelines get through STS at all
 * (every gitlab.com project's tokens share the issuer). The path is checked again here: it
 * goes into a CEL string literal.
 */
export function gitlabAttributeCondition(projectPath: string): string {
    if (!GITLAB_PROJECT_PATH.pattern.test(projectPath)) throw new Error(`GitLab project path "${projectPath}" must be ${GITLAB_PROJECT_PATH.allowed}`);
    return `assertion.project_path == "${projectPath}"`;
}

/** Everyone in the pool whose token carries attribute = value (an IAM member). */
export function principalSet(pool: { readonly projectNumber: string; readonly poolId: string }, attribute: GitlabAttribute, value: string): string {
    return `principalSet://iam.googleapis.com/projects/${pool.projectNumber}/locations/global/workloadIdentityPools/${pool.poolId}/attribute.${attribute}/${value}`;
}

/** `gs://` and `gcpkms://` URLs of the stack state and secrets, as the Pulumi CLI takes them. */
export function pulumiBackends(input: {
    readonly stateBucket: string;
    readonly project: string;
    readonly kmsLocation: string;
    readonly keyRing: string;
    readonly key: string;
}): {
    readonly stateBackend: string;
    readonly secretsProvider: string;
} {
    return {
        stateBackend: `gs://${input.stateBucket}`,
        secretsProvider: `gcpkms://projects/${input.project}/locations/${input.kmsLocation}/keyRings/${input.keyRing}/cryptoKeys/${input.key}`,
    };
}

/** The variables `.gitlab-ci.yml` reads, set once in the GitLab project from the bootstrap's outputs. */
export const CI_VARIABLES = [
    "GCP_WORKLOAD_IDENTITY_PROVIDER",
    "GCP_DEPLOY_SERVICE_ACCOUNT",
    "GCP_PREVIEW_SERVICE_ACCOUNT",
    "PULUMI_BACKEND_URL",
    "PULUMI_SECRETS_PROVIDER",
    "SCALER_IMAGE_REPOSITORY",
] as const;
export type CiVariable = (typeof CI_VARIABLES)[number];
