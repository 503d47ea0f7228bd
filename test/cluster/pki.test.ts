import { strict as assert } from "assert";
import * as crypto from "crypto";
import { discoveryTokenCaCertHash, serviceAccountJwks, serviceAccountKeyId } from "../../components/cluster/pki";
import { gceProviderId, parseGceProviderId } from "../../config/provider-ids";
import { generateKeyPair, selfSignedCertificate } from "../../render/mock-pki";

describe("PKI facts computed in the program", () => {
    const ca = generateKeyPair("RSA");
    const caCertPem = selfSignedCertificate(ca.privateKeyPem, { commonName: "kubernetes" }, 24, true);

    it("the discovery hash is what kubeadm pins: sha256 of the CA certificate's SubjectPublicKeyInfo", () => {
        const fromCertificate = new crypto.X509Certificate(caCertPem).publicKey.export({ type: "spki", format: "der" });
        assert.equal(discoveryTokenCaCertHash(ca.publicKeyPem), `sha256:${crypto.createHash("sha256").update(fromCertificate).digest("hex")}`);
    });

    it("accepts a PKCS#1 public key as well and rejects what is not a key", () => {
        const pkcs1 = crypto.createPublicKey(ca.publicKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
        assert.equal(discoveryTokenCaCertHash(pkcs1), discoveryTokenCaCertHash(ca.publicKeyPem));
        assert.throws(() => discoveryTokenCaCertHash("not a key"), /not a PEM public key/);
    });

    it("the JWKS has the kid Kubernetes computes and verifies a token signature made with the private key", () => {
        const sa = generateKeyPair("RSA");
        const [jwk] = serviceAccountJwks(sa.publicKeyPem).keys;
        const der = crypto.createPublicKey(sa.publicKeyPem).export({ type: "spki", format: "der" });
        assert.equal(jwk.kid, crypto.createHash("sha256").update(der).digest().toString("base64url"));
        assert.equal(jwk.kid, serviceAccountKeyId(sa.publicKeyPem));
        assert.doesNotMatch(jwk.kid, /[=+/]/);
        assert.deepEqual([jwk.kty, jwk.alg, jwk.use], ["RSA", "RS256", "sig"]);
        const payload = Buffer.from("header.payload");
        const signature = crypto.sign("sha256", payload, sa.privateKeyPem);
        const imported = crypto.createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: "jwk" });
        assert.equal(crypto.verify("sha256", payload, imported, signature), true);
    });

    it("refuses a non-RSA service-account key (tokens are RS256)", () => {
        assert.throws(() => serviceAccountJwks(generateKeyPair("ED25519").publicKeyPem), /must be RSA \(tokens are RS256\), got ed25519/);
    });

    it("provider ids are gce://<project>/<zone>/<instance>, validated", () => {
        assert.equal(
            gceProviderId("boutique-dev-000000", "europe-west1-b", "boutique-dev-worker-3"),
            "gce://boutique-dev-000000/europe-west1-b/boutique-dev-worker-3",
        );
        assert.throws(() => gceProviderId("boutique-dev-000000", "europe-west1", "w"), /zone "europe-west1" is not a valid GCE zone name/);
        assert.throws(() => gceProviderId("P", "europe-west1-b", "w"), /project "P" is not a valid GCE project name/);
        const id = gceProviderId("boutique-dev-000000", "europe-west1-b", "boutique-dev-worker-3");
        assert.deepEqual(parseGceProviderId(id), { project: "boutique-dev-000000", zone: "europe-west1-b", instance: "boutique-dev-worker-3" });
        for (const bad of [
            "aws:///us-east-1a/i-0abc",
            "gce://P/europe-west1-b/w",
            "gce://boutique-dev-000000/europe-west1-b/a/b",
            "gce://boutique-dev-000000/europe-west1-b/Worker",
        ]) {
            assert.equal(parseGceProviderId(bad), undefined, bad);
        }
    });
});
