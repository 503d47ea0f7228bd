import { strict as assert } from "assert";
import { parse } from "yaml";
import { renderAuditPolicy, renderEncryptionConfiguration } from "../../../components/cluster/rendered/control-plane-files";
import { REDACTED } from "../../../components/cluster/rendered/redacted";

interface EncryptionConfiguration {
    kind: string;
    resources: { resources: string[]; providers: Record<string, { keys?: { secret: string }[] }>[] }[];
}
interface AuditRule {
    level: string;
    verbs?: string[];
    nonResourceURLs?: string[];
    resources?: { group: string; resources: string[] }[];
}

describe("control-plane files", () => {
    const key = Buffer.alloc(32, 7).toString("base64");

    it("encrypts Secrets with secretbox first and identity last", () => {
        const config = parse(renderEncryptionConfiguration(key)) as EncryptionConfiguration;
        assert.equal(config.kind, "EncryptionConfiguration");
        const [secrets] = config.resources;
        assert.deepEqual(secrets.resources, ["secrets"]);
        assert.deepEqual(
            secrets.providers.map((provider) => Object.keys(provider)[0]),
            ["secretbox", "identity"],
        );
        assert.equal(secrets.providers[0].secretbox.keys?.[0].secret, key);
    });

    it("accepts only a 32-byte key, or the redaction marker for the inspection copy", () => {
        assert.throws(() => renderEncryptionConfiguration(Buffer.alloc(16).toString("base64")), /exactly 32 bytes/);
        assert.match(renderEncryptionConfiguration(REDACTED), /secret: "\[secret\]"/);
    });

    it("the audit policy never records bodies of secrets, configmaps or token reviews", () => {
        const rules = (parse(renderAuditPolicy()) as { rules: AuditRule[]; omitStages: string[] }).rules;
        // The first rule that matches decides; a body-level rule must not come first for these.
        for (const [group, resource] of [
            ["", "secrets"],
            ["", "configmaps"],
            ["authentication.k8s.io", "tokenreviews"],
        ]) {
            const first = rules.find(
                (rule) => rule.resources?.some((r) => r.group === group && r.resources.includes(resource)) || (!rule.resources && !rule.nonResourceURLs),
            );
            assert.ok(first && ["None", "Metadata"].includes(first.level), `${resource}: ${first?.level}`);
        }
        assert.deepEqual((parse(renderAuditPolicy()) as { omitStages: string[] }).omitStages, ["RequestReceived"]);
        assert.equal(rules[rules.length - 1].level, "Request", "everything else: who asked for what");
    });
});
