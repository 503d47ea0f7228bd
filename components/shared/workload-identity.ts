/**
 * Workload Identity Federation for a self-managed cluster, as pure functions: Google's STS
 * trusts the cluster's service-account tokens (issuer + uploaded JWKS) and a pod exchanges its
 * projected token for Google credentials. No key file exists anywhere.
 */

export interface FederationPool {
    /** The project's number (not its id): principal and audience URIs use it. */
    readonly projectNumber: string;
    readonly poolId: string;
    readonly providerId: string;
}

export interface KubernetesServiceAccount {
    readonly namespace: string;
    readonly name: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkServiceAccount({ namespace, name }: KubernetesServiceAccount): void {
    if (!DNS_LABEL.test(namespace)) throw new Error(`namespace "${namespace}" must be a DNS label`);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) throw new Error(`service account name "${name}" must be a DNS subdomain`);
}

function checkPool(pool: FederationPool): void {
    if (!/^\d+$/.test(pool.projectNumber)) throw new Error(`project number "${pool.projectNumber}" must be digits (the number, not the project id)`);
    // Google: 4-32 characters, lowercase letters, digits and hyphens; the gcp- prefix is reserved.
    for (const [what, id] of [
        ["pool id", pool.poolId],
        ["provider id", pool.providerId],
    ] as const) {
        if (!/^[a-z0-9-]{4,32}$/.test(id) || id.startsWith("gcp-"))
            throw new Error(`${what} "${id}" must be 4-32 lowercase letters, digits or hyphens, not starting with gcp-`);
    }
}

/** The `sub` claim of a Kubernetes service-account token. */
export function serviceAccountSubject(account: KubernetesServiceAccount): string {
    checkServiceAccount(account);
    return `system:serviceaccount:${account.namespace}:${account.name}`;
}

/** The IAM principal of exactly one Kubernetes service account, through the pool. */
export function federatedPrincipal(pool: FederationPool, account: KubernetesServiceAccount): string {
    checkPool(pool);
    return `principal://iam.googleapis.com/projects/${pool.projectNumber}/locations/global/workloadIdentityPools/${pool.poolId}/subject/${serviceAccountSubject(account)}`;
}

/** The provider's resource name: the audience a pod's projected token must carry. */
export function providerAudience(pool: FederationPool): string {
    checkPool(pool);
    return `//iam.googleapis.com/projects/${pool.projectNumber}/locations/global/workloadIdentityPools/${pool.poolId}/providers/${pool.providerId}`;
}

/**
 * The `aud` a pod's projected token must carry: a provider without `allowedAudiences` accepts
 * exactly its own resource name as an https URL (the credential file names it without scheme).
 */
export function providerTokenAudience(pool: FederationPool): string {
    return `https:${providerAudience(pool)}`;
}

/** What the Google client libraries read from GOOGLE_APPLICATION_CREDENTIALS. */
export interface ExternalAccountCredential {
    readonly type: "external_account";
    readonly audience: string;
    readonly subject_token_type: "urn:ietf:params:oauth:token-type:jwt";
    readonly token_url: "https://sts.googleapis.com/v1/token";
    readonly credential_source: { readonly file: string; readonly format: { readonly type: "text" } };
    /** Present when the federated identity acts as a Google service account (APIs that take no federated principals). */
    readonly service_account_impersonation_url?: string;
}

/** Where a pod mounts its Google credentials: one directory holding the credential file (from a ConfigMap) and its token. */
export interface CredentialMount {
    readonly configMap: string;
    readonly mountPath: string;
}

/** The credential file's name in the ConfigMap and the mount; GOOGLE_APPLICATION_CREDENTIALS points at it. */
export const CREDENTIAL_FILE = "credentials.json";
const TOKEN_FILE = "token";
/** Tokens are short-lived; the kubelet refreshes them at 80% of their life. */
const TOKEN_EXPIRATION_SECONDS = 3600;

/** The GOOGLE_APPLICATION_CREDENTIALS value for a mount. */
export function credentialFilePath(mount: CredentialMount): string {
    return `${mount.mountPath}/${CREDENTIAL_FILE}`;
}

/**
 * The credential configuration a pod mounts: exchange the token in the mount (a projected
 * service-account token with the provider's audience) at Google's STS, and act as
 * `impersonate` when given. It holds no secret.
 */
export function externalAccountCredential(pool: FederationPool, mount: CredentialMount, impersonate?: string): ExternalAccountCredential {
    if (!mount.mountPath.startsWith("/")) throw new Error(`mount path "${mount.mountPath}" must be absolute`);
    const tokenPath = `${mount.mountPath}/${TOKEN_FILE}`;
    if (impersonate !== undefined && !/^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\.iam\.gserviceaccount\.com$/.test(impersonate)) {
        throw new Error(`service account "${impersonate}" must be a service account email`);
    }
    return {
        ...(impersonate
            ? { service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${impersonate}:generateAccessToken` }
            : {}),
        type: "external_account",
        audience: providerAudience(pool),
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        token_url: "https://sts.googleapis.com/v1/token",
        credential_source: { file: tokenPath, format: { type: "text" } },
    };
}

/** The projected volume behind a mount: the credential file and a token with the provider's audience. */
export function credentialVolume(volumeName: string, mount: CredentialMount, pool: FederationPool): Record<string, unknown> {
    return {
        name: volumeName,
        projected: {
            sources: [
                { configMap: { name: mount.configMap, items: [{ key: CREDENTIAL_FILE, path: CREDENTIAL_FILE }] } },
                { serviceAccountToken: { audience: providerTokenAudience(pool), expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: TOKEN_FILE } },
            ],
        },
    };
}

/** The data of the ConfigMap behind a mount (`mount.configMap`): the credential file, which holds no secret (where to exchange which token, and whom to act as). */
export function credentialConfigMapData(mount: CredentialMount, pool: FederationPool, impersonate?: string): Readonly<Record<string, string>> {
    return { [CREDENTIAL_FILE]: JSON.stringify(externalAccountCredential(pool, mount, impersonate), null, 2) };
}
