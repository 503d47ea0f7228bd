import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ResourceValidationArgs } from "@pulumi/policy";
import { NETWORK_TAGS } from "../../components/cluster/firewall-rules";
import { toPolicy } from "../../policy/policies";
import { at, recordsIn, stringsIn } from "../../policy/props";
import { RULES } from "../../policy/rules";
import { writeEvaluation } from "../../render/write";
import { BAD_RESOURCES, ResourceRecord } from "../support/policy-bad-resources";
import { asEngineProps, DEFAULT_ACCOUNT, externalIp, NEVER_PUBLIC, opens, weakMtls } from "../support/policy-guardrails";
import { evaluateBootstrap, evaluateDev } from "../support/program";

const POLICIES = RULES.map(toPolicy);

function validationArgs(resource: ResourceRecord): ResourceValidationArgs {
    const unused = (what: string) => (): never => {
        throw new Error(`the guardrails do not use ${what}`);
    };
    return {
        type: resource.type,
        props: asEngineProps(resource.inputs),
        urn: `urn:pulumi:dev::boutique-platform::${resource.type}::${resource.name}`,
        name: resource.name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        stackTags: new Map(),
        isType: unused("isType"),
        asType: unused("asType"),
        getConfig: unused("getConfig"),
        notApplicable: unused("notApplicable"),
    };
}

/** "policy | resource | message" for everything the pack reports on `resources`, as the policy server runs it. */
async function violations(resources: readonly ResourceRecord[], policies = POLICIES): Promise<string[]> {
    const found: string[] = [];
    for (const policy of policies) {
        const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
        for (const resource of resources) {
            for (const validate of validations) {
                await validate(validationArgs(resource), (message) => found.push(`${policy.name} | ${resource.name} | ${message}`));
            }
        }
    }
    return found;
}

describe("policy pack: guardrails", () => {
    it("each policy reads only its own resource types", async () => {
        const elsewhere = BAD_RESOURCES.map((resource) => ({ ...resource, type: "example:index/other:Other" }));
        assert.deepEqual(await violations(elsewhere), []);
        assert.ok((await violations(BAD_RESOURCES)).length > 0);
    });

    it("reports every rule on the deliberately bad resources, with its message", async () => {
        const triples = (policy: string, resource: string, ...messages: string[]) => messages.map((message) => `${policy} | ${resource} | ${message}`);
        const expected = [
            ...triples("no-external-ip-except-haproxy", "public-worker", externalIp(0, "accessConfigs", "IPv4")),
            ...triples("no-external-ip-except-haproxy", "worker-template", externalIp(1, "ipv6AccessConfigs", "IPv6")),
            ...triples("no-cluster-ports-open-to-internet", "allow-ssh-anywhere", opens(22)),
            ...triples("no-cluster-ports-open-to-internet", "allow-all-v6", opens(22, "::/0"), opens(6443, "::/0"), opens(10250, "::/0")),
            ...triples(
                "buckets-uniform-access-public-access-prevention",
                "public-bucket",
                "bucket: uniformBucketLevelAccess is false, must be true",
                'bucket: publicAccessPrevention is "inherited", must be "enforced"',
            ),
            ...triples("storage-never-public", "public-reader", `member is "allUsers"; ${NEVER_PUBLIC}`),
            ...triples("storage-never-public", "google-readers", `members include "allAuthenticatedUsers"; ${NEVER_PUBLIC}`),
            ...triples("storage-never-public", "public-policy", `policyData binds "allUsers" to "roles/storage.objectViewer"; ${NEVER_PUBLIC}`),
            ...triples("storage-never-public", "public-bucket-acl", `entity is "allUsers"; ${NEVER_PUBLIC}`),
            ...triples("storage-never-public", "public-default-object-acl", `entity is "allAuthenticatedUsers"; ${NEVER_PUBLIC}`),
            ...triples("storage-never-public", "public-object-acl", `entity is "allUsers"; ${NEVER_PUBLIC}`),
            ...triples("storage-never-public", "public-acl", `roleEntities include "READER:allUsers"; ${NEVER_PUBLIC}`),
            ...triples(
                "no-default-compute-service-account",
                "public-worker",
                `instance: serviceAccount.email "123456789012-compute@developer.gserviceaccount.com" ${DEFAULT_ACCOUNT}`,
            ),
            ...triples("no-default-compute-service-account", "worker-template", `instance: serviceAccount.email "default" ${DEFAULT_ACCOUNT}`),
            ...triples("shielded-vm-secure-boot", "public-worker", "instance: shieldedInstanceConfig.enableSecureBoot is false, must be true"),
            ...triples("shielded-vm-secure-boot", "worker-template", "instance: shieldedInstanceConfig.enableSecureBoot is unset, must be true"),
            ...triples("istio-mtls-not-permissive", "frontend-plaintext-port", weakMtls("spec.portLevelMtls[8080].mode", "DISABLE", "boutique/frontend")),
            ...triples("istio-mtls-not-permissive", "mesh-policy", weakMtls("spec.mtls.mode", "PERMISSIVE")),
            ...triples(
                "grafana-kiali-no-anonymous-access",
                "kube-prometheus-stack",
                'kube-prometheus-stack: values.grafana["grafana.ini"]["auth.anonymous"].enabled is true; Grafana must not allow anonymous access',
            ),
            ...triples(
                "grafana-kiali-no-anonymous-access",
                "kiali",
                'kiali-server: values.auth.strategy is "anonymous"; Kiali must not allow anonymous access',
            ),
        ];
        assert.deepEqual(await violations(BAD_RESOURCES), expected);
        assert.deepEqual(new Set(expected.map((line) => line.split(" | ")[0])), new Set(RULES.map((rule) => rule.name)), "every rule is broken at least once");
    });

    describe("the dev stack (out/dev/resources.json, as npm run render writes it)", () => {
        let resources: readonly ResourceRecord[] = [];
        before(async () => {
            const out = fs.mkdtempSync(path.join(os.tmpdir(), "policy-render-"));
            try {
                writeEvaluation(await evaluateDev(), out);
                resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as ResourceRecord[];
            } finally {
                fs.rmSync(out, { recursive: true, force: true });
            }
        });

        it("breaks no rule", async () => {
            assert.deepEqual(await violations(resources), []);
        });

        // Dev has no InstanceTemplate, no bucket IAM binding, policy or ACL, no PeerAuthentication resource of its
        // own (it sits in a ConfigGroup) and no grafana or kiali-operator chart: the rule cases (policy-rules.test.ts) cover those.
        it("gives every rule something to check", () => {
            for (const rule of RULES) {
                const checked = resources.filter((resource) => rule.resourceTypes.includes(resource.type));
                assert.ok(checked.length > 0, `${rule.name}: no dev resource of ${rule.resourceTypes.join(", ")}`);
            }
        });

        // So "breaks no rule" means something: dev has what the exemptions and the nested reads look at.
        it("has the fields the rules read where they read them", () => {
            const inputsOf = (type: string) => resources.filter((resource) => resource.type === type).map((resource) => resource.inputs);
            const haproxy = inputsOf("gcp:compute/instance:Instance").filter((vm) => stringsIn(vm.tags).includes(NETWORK_TAGS.haproxy));
            assert.ok(
                haproxy.some((vm) => recordsIn(vm.networkInterfaces).some((nic) => recordsIn(nic.accessConfigs).length > 0)),
                "HAProxy's external IP",
            );
            assert.ok(
                inputsOf("gcp:compute/firewall:Firewall").some((rule) => stringsIn(rule.sourceRanges).includes("0.0.0.0/0")),
                "a rule open to the internet (80/443)",
            );
            const objs = inputsOf("kubernetes:yaml/v2:ConfigGroup").flatMap((group) => recordsIn(group.objs));
            assert.deepEqual(
                objs.filter((object) => object.kind === "PeerAuthentication").map((object) => at(object, "spec", "mtls", "mode")),
                ["STRICT"],
            );
            const values = (chart: string) => inputsOf("kubernetes:helm.sh/v3:Release").find((release) => release.chart === chart)?.values;
            assert.equal(at(values("kube-prometheus-stack"), "grafana", "grafana.ini", "auth.anonymous", "enabled"), false);
            assert.equal(at(values("kiali-server"), "auth", "strategy"), "token");
        });
    });

    it("the CI bootstrap stack (its state bucket, its accounts) breaks no rule either", async () => {
        const bootstrap = (await evaluateBootstrap()).resources;
        assert.ok(
            bootstrap.some((resource) => resource.type === "gcp:storage/bucket:Bucket"),
            "the state bucket is checked",
        );
        assert.deepEqual(await violations(bootstrap), []);
    });
});
