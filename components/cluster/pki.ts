import * as crypto from "crypto";

/**
 * Facts derived from the program-owned keys, computed the way Kubernetes computes them, so
 * nothing has to be read back from the cluster.
 */

function publicKey(pem: string): crypto.KeyObject {
    try {
        return crypto.createPublicKey(pem);
    } catch (error) {
        throw new Error(`not a PEM public key (SPKI "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY"): ${(error as Error).message}`, { cause: error });
    }
}

function spkiDer(pem: string): Buffer {
    return publicKey(pem).export({ type: "spki", format: "der" });
}

/**
 * kubeadm's `--discovery-token-ca-cert-hash` / `caCertHashes` pin: "sha256:" + the hex SHA-256
 * of the CA public key's DER SubjectPublicKeyInfo.
 */
export function discoveryTokenCaCertHash(caPublicKeyPem: string): string {
    return `sha256:${crypto.createHash("sha256").update(spkiDer(caPublicKeyPem)).digest("hex")}`;
}

/** The `kid` Kubernetes puts in service-account tokens: unpadded base64url of SHA-256 of the PKIX DER. */
export function serviceAccountKeyId(publicKeyPem: string): string {
    return crypto.createHash("sha256").update(spkiDer(publicKeyPem)).digest("base64url");
}

export interface Jwk {
    readonly kty: "RSA";
    readonly n: string;
    readonly e: string;
    readonly kid: string;
    readonly alg: "RS256";
    readonly use: "sig";
}

/** The JWKS the API server publishes for its service-account signing key (RS256). */
export function serviceAccountJwks(publicKeyPem: string): { readonly keys: readonly Jwk[] } {
    const key = publicKey(publicKeyPem);
    if (key.asymmetricKeyType !== "rsa") {
        throw new Error(`the service-account key must be RSA (tokens are RS256), got ${key.asymmetricKeyType}`);
    }
    const { n, e } = key.export({ format: "jwk" });
    if (!n || !e) throw new Error("the RSA public key has no modulus or exponent");
    return { keys: [{ kty: "RSA", n, e, kid: serviceAccountKeyId(publicKeyPem), alg: "RS256", use: "sig" }] };
}
