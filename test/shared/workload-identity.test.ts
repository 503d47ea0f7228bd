import { strict as assert } from "assert";
import {
    externalAccountCredential,
    federatedPrincipal,
    providerAudience,
    providerTokenAudience,
    serviceAccountSubject,
} from "../../components/shared/workload-identity";

const POOL = { projectNumber: "123456789012", poolId: "boutique-dev-a1b2c3", providerId: "kubernetes" };
const LOKI = { namespace: "logging", name: "loki" };

describe("Workload Identity Federation (pure functions)", () => {
    it("names exactly one Kubernetes service account as the principal", () => {
        assert.equal(serviceAccountSubject(LOKI), "system:serviceaccount:logging:loki");
        assert.equal(
            federatedPrincipal(POOL, LOKI),
            "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/boutique-dev-a1b2c3/subject/system:serviceaccount:logging:loki",
        );
    });

    it("gives the provider's audience: scheme-less for STS, https for the token's aud", () => {
        const audience = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/boutique-dev-a1b2c3/providers/kubernetes";
        assert.equal(providerAudience(POOL), audience);
        assert.equal(providerTokenAudience(POOL), `https:${audience}`);
    });

    it("writes an external_account credential that holds no secret, only where the token is", () => {
        const credential = externalAccountCredential(POOL, { configMap: "loki-gcp-credentials", mountPath: "/var/run/secrets/gcp" });
        assert.deepEqual(credential, {
            type: "external_account",
            audience: providerAudience(POOL),
            subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
            token_url: "https://sts.googleapis.com/v1/token",
            credential_source: { file: "/var/run/secrets/gcp/token", format: { type: "text" } },
        });
        assert.doesNotMatch(JSON.stringify(credential), /private_key|client_secret/);
    });

    const rejected: [string, () => unknown, RegExp][] = [
        [
            "a project id instead of its number",
            () => federatedPrincipal({ ...POOL, projectNumber: "boutique-dev" }, LOKI),
            /project number "boutique-dev" must be digits/,
        ],
        ["a pool id with capitals", () => providerAudience({ ...POOL, poolId: "Boutique" }), /pool id "Boutique" must be 4-32 lowercase/],
        ["the reserved gcp- prefix", () => providerAudience({ ...POOL, providerId: "gcp-k8s" }), /provider id "gcp-k8s" .* not starting with gcp-/],
        ["a namespace that is not a DNS label", () => serviceAccountSubject({ namespace: "Logging", name: "loki" }), /namespace "Logging" must be a DNS label/],
        ["a relative mount path", () => externalAccountCredential(POOL, { configMap: "c", mountPath: "secrets" }), /mount path "secrets" must be absolute/],
        [
            "an impersonation target that is not a service account",
            () => externalAccountCredential(POOL, { configMap: "c", mountPath: "/s" }, "someone@example.com"),
            /must be a service account email/,
        ],
    ];
    for (const [what, call, message] of rejected) {
        it(`rejects ${what}`, () => assert.throws(call, message));
    }
});
