import { stringify } from "yaml";
import { bash } from "./node-scripts-shell";

/**
 * The kubelet's image credential provider for Google's registries. containerd alone pulls only
 * public images; on GKE a provider binary signs pulls with the node's identity. This one does the
 * same with a short script: the node service account's access token, from the metadata server,
 * for Artifact Registry and Container Registry hosts. The account needs
 * roles/artifactregistry.reader (NODE_ROLES).
 */
export const IMAGE_CREDENTIALS = {
    /** The executable's file name in binDir: the kubelet runs providers by this name. */
    providerName: "gce-registry-credentials",
    binDir: "/usr/local/lib/kubelet-credential-providers",
    config: "/etc/kubernetes/image-credential-providers.yaml",
    /** Registry hosts the token is good for (the kubelet's glob syntax: one label per "*"). */
    matchImages: ["*.pkg.dev", "gcr.io", "*.gcr.io"],
    /** The exec protocol version; a response must carry the configured one. */
    protocol: "credentialprovider.kubelet.k8s.io/v1",
} as const;

/** The kubelet flags that turn it on (GA since Kubernetes 1.26). */
export function imageCredentialKubeletArgs(): Record<string, string> {
    return { "image-credential-provider-config": IMAGE_CREDENTIALS.config, "image-credential-provider-bin-dir": IMAGE_CREDENTIALS.binDir };
}

/** The kubelet's CredentialProviderConfig (kubelet.config.k8s.io/v1). */
export function renderImageCredentialConfig(): string {
    return stringify({
        apiVersion: "kubelet.config.k8s.io/v1",
        kind: "CredentialProviderConfig",
        providers: [
            {
                name: IMAGE_CREDENTIALS.providerName,
                matchImages: [...IMAGE_CREDENTIALS.matchImages],
                // The response's own cacheDuration (the token's lifetime) takes precedence.
                defaultCacheDuration: "10m",
                apiVersion: IMAGE_CREDENTIALS.protocol,
            },
        ],
    });
}

/**
 * The provider itself: reads the kubelet's CredentialProviderRequest on stdin, answers with a
 * CredentialProviderResponse holding the node account's token for every matched registry,
 * cached per registry until five minutes before the token expires.
 */
export function renderImageCredentialProvider(): string {
    const auth = IMAGE_CREDENTIALS.matchImages.map((pattern) => `"${pattern}": {"username": "oauth2accesstoken", "password": "%s"}`).join(", ");
    const tokens = IMAGE_CREDENTIALS.matchImages.map(() => '"$token"').join(" ");
    // Names the path from before the split by layer on purpose: changing it rewrites every deployed node's copy.
    return bash`#!/usr/bin/env bash
# The kubelet's image credential provider for Google's registries (rendered by
# components/image-credentials.ts): the node service account's access token from the metadata
# server, for ${IMAGE_CREDENTIALS.matchImages.join(", ")}. Errors go to stderr, where the kubelet logs them.
set -euo pipefail
# GCE_METADATA_TOKEN_URL is for tests only.
readonly TOKEN_URL="\${GCE_METADATA_TOKEN_URL:-http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token}"

# The request names the image; every matched registry gets the same token, so it is not needed.
cat >/dev/null
response=$(curl --silent --show-error --fail --max-time 10 --retry 3 --retry-delay 1 --header 'Metadata-Flavor: Google' "$TOKEN_URL")
token=$(sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$response")
expires=$(sed -n 's/.*"expires_in"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' <<<"$response")
if [ -z "$token" ] || [ -z "$expires" ]; then
  echo "gce-registry-credentials: the metadata server's answer has no access_token or expires_in" >&2
  exit 1
fi
# Until five minutes before expiry; a token about to expire is not cached at all.
cache=$((expires > 600 ? expires - 300 : 0))
printf '{"kind": "CredentialProviderResponse", "apiVersion": "${IMAGE_CREDENTIALS.protocol}", "cacheKeyType": "Registry", "cacheDuration": "%ss", "auth": {${auth}}}\n' \
  "$cache" ${tokens}
`;
}
