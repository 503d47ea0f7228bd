import { strict as assert } from "assert";
import { parseStackConfig, StackConfigError } from "../../config/stack-config";
import { publicUnionSize, rangeUseProblem, unionSize } from "../../config/special-ranges";
import { parseIpv4Cidr, isIpv4Network, Ipv4Network } from "../../config/cidr";
import { devConfigMap, PROJECT_ROOT } from "../fixtures";
import { evaluateProgram } from "../../render/evaluate";
import { MockCloud } from "../../render/mock-cloud";
import { boutiqueHostProblem, CLUSTER_NAMESPACES } from "../../config/boutique-config";
import { evaluateDev } from "../support/program";

/**
 * The findings of the bad-input campaign (issue 14), one per case: each was accepted before the
 * fix (or crashed later, or echoed what it should not) and is refused now, before any resource,
 * with one message naming the key.
 */

function problemsFor(overrides: Record<string, string>, secretKeys: string[] = []): string[] {
    try {
        parseStackConfig(devConfigMap(overrides), secretKeys);
    } catch (error) {
        assert.ok(error instanceof StackConfigError, `expected a StackConfigError, got ${String(error)}`);
        return [...error.problems];
    }
    assert.fail(`config ${JSON.stringify(overrides).slice(0, 200)} was accepted`);
}

function network(cidr: string): Ipv4Network {
    const parsed = parseIpv4Cidr(cidr);
    assert.ok(isIpv4Network(parsed), cidr);
    return parsed;
}

const EVERY_SLASH_8 = JSON.stringify(Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`));

const REFUSED: readonly [string, Record<string, string>, RegExp][] = [
    [
        "all 256 /8 networks as admin sources (each one alone was allowed)",
        { adminCidrs: EVERY_SLASH_8 },
        /^boutique-platform:adminCidrs = "\[\\"0\.0\.0\.0\/8\\",.*"\.\.\. \(3475 characters\): admits 4272881664 public addresses together, more than one \/8/,
    ],
    ["two /8s together", { adminCidrs: '["11.0.0.0/8", "12.0.0.0/8"]' }, /admits 33554432 public addresses together/],
    [
        "a loopback admin source",
        { adminCidrs: '["127.0.0.1/32"]' },
        /adminCidrs = .*has "127\.0\.0\.1\/32", which reaches into 127\.0\.0\.0\/8, loopback \(RFC 1122\)/,
    ],
    ["a link-local admin source", { adminCidrs: '["169.254.169.254/32"]' }, /link-local \(the metadata server's 169\.254\.169\.254\) \(RFC 3927\)/],
    [
        "a multicast admin source",
        { adminCidrs: '["203.0.113.0/24", "224.0.0.0/24"]' },
        /has "224\.0\.0\.0\/24", which reaches into 224\.0\.0\.0\/4, multicast \(RFC 5771\)/,
    ],
    ["a reserved admin source", { adminCidrs: '["255.255.255.255/32"]' }, /reaches into 240\.0\.0\.0\/4, reserved/],
    [
        "the link-local range (the metadata address) for pods",
        { podCidr: "169.254.0.0/16" },
        /^boutique-platform:podCidr = "169\.254\.0\.0\/16": reaches into 169\.254\.0\.0\/16, link-local .* as the pod range/,
    ],
    ["loopback for services", { serviceCidr: "127.0.0.0/16" }, /^boutique-platform:serviceCidr = .*reaches into 127\.0\.0\.0\/8, loopback/],
    ["multicast for the subnet", { subnetCidr: "224.1.0.0/16" }, /^boutique-platform:subnetCidr = .*multicast .* as the nodes' subnet/],
    ["a public pod range", { podCidr: "8.8.0.0/16" }, /^boutique-platform:podCidr = "8\.8\.0\.0\/16": holds public addresses as the pod range/],
    ["a public service range", { serviceCidr: "34.64.0.0/16" }, /^boutique-platform:serviceCidr = .*holds public addresses as the service range/],
    [
        "a gcp:project with a trailing newline (trimmed by the check, passed raw to the provider)",
        { "gcp:project": "boutique-dev-000000\n" },
        /^gcp:project = "boutique-dev-000000\\n": must not start or end with whitespace/,
    ],
    ["a zone with a leading space", { "gcp:zone": " europe-west1-b" }, /^gcp:zone = " europe-west1-b": must not start or end with whitespace/],
    [
        "a patch beyond 2^53 (crashed after ~50 resources)",
        { kubernetesVersion: "1.32.9007199254740993" },
        /^boutique-platform:kubernetesVersion = "1\.32\.9007199254740993": must be an exact Kubernetes release/,
    ],
    ["a padded minor", { kubernetesVersion: "1.032.4" }, /must be an exact Kubernetes release/],
    [
        "a worker count beyond Kubernetes' 5000 nodes",
        { workerCount: "99999999999999999999" },
        /^boutique-platform:workerCount = "99999999999999999999": must be a whole number from 0 to 5000/,
    ],
    [
        "the API server's in-cluster name as a shop host",
        { boutiqueHosts: '["kubernetes.default.svc.cluster.local"]' },
        /boutiqueHosts = .*has "kubernetes\.default\.svc\.cluster\.local", a name that resolves inside a cluster, VPC or host \(\.local\)/,
    ],
    ["kubernetes.default.svc as a shop host", { boutiqueHosts: '["shop.example.com", "kubernetes.default.svc"]' }, /\(\.svc\)/],
    [
        "the metadata server as a shop host",
        { boutiqueHosts: '["metadata.google.internal"]' },
        /has "metadata\.google\.internal", a name that resolves inside .* \(\.internal\)/,
    ],
    ["a service.namespace name as a shop host", { boutiqueHosts: '["frontend.boutique"]' }, /which pods resolve as service frontend in namespace boutique/],
    [
        "$(VAR) in the state backend (Kubernetes expands it in the scaler's env)",
        { autoscaler: autoscalerWith({ stateBackend: "gs://boutique-dev-000000-pulumi-state/$(HOME)" }) },
        /^boutique-platform:autoscaler: autoscaler\.stateBackend must be a gs:\/\/<bucket>\[\/<prefix>\] URL, the prefix of letters/,
    ],
    [
        "a shop image tagged latest (the scaler's was already refused)",
        { boutiqueImages: '{"frontend": "registry.example.com/shop/frontend:latest"}' },
        /^boutique-platform:boutiqueImages: boutiqueImages\.frontend must pin a tag or digest, not latest/,
    ],
    [
        "a 200,000-entry retiredWorkerSlots (quadratic: 27.6 s before)",
        { retiredWorkerSlots: JSON.stringify(Array.from({ length: 200_000 }, (_, i) => i)) },
        /^boutique-platform:retiredWorkerSlots = "\[0,1,2,.*"\.\.\. \(1288891 characters\): must be at most 65536 characters/,
    ],
    [
        "6,000 retired slots (within the size limit, beyond the slot limit)",
        { retiredWorkerSlots: JSON.stringify(Array.from({ length: 6000 }, (_, i) => i % 10)) },
        /^boutique-platform:retiredWorkerSlots = "\[0,1,2,.*"\.\.\. \(12001 characters\): must list at most 5000 entries/,
    ],
    [
        "a progress deadline beyond int32 (Flagger's field)",
        { delivery: '{"progressDeadlineSeconds": 1e300}' },
        /^boutique-platform:delivery: delivery\.progressDeadlineSeconds must be/,
    ],
    [
        "a NUL inside a structured value",
        { delivery: '{"alerting": {"provider": "slack", "channel": "ops\\u0000"}}' },
        /^boutique-platform:delivery: delivery has a string that must not contain control or invisible characters/,
    ],
    [
        "a bidirectional override in a host",
        { boutiqueHosts: '["shop.example.com\\u202e"]' },
        /has a string that must not contain control or invisible characters/,
    ],
    [
        "JSON nested 10,000 deep",
        { adminCidrs: "[".repeat(5000) + "]".repeat(5000) },
        /^boutique-platform:adminCidrs = "\[\[\[.*"\.\.\. \(10000 characters\): nests deeper than 8 levels/,
    ],
];

function autoscalerWith(fields: Record<string, unknown>): string {
    const dev = JSON.parse(devConfigMap()["boutique-platform:autoscaler"]) as Record<string, unknown>;
    return JSON.stringify({ ...dev, ...fields });
}

describe("config hardening (the bad-input campaign's findings)", () => {
    for (const [what, overrides, message] of REFUSED) {
        it(`refuses ${what}, in one message for the key`, () => {
            const problems = problemsFor(overrides);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], message);
            assert.ok(problems[0].length < 600, `a message of ${problems[0].length} characters`);
        });
    }

    it("quotes at most 64 characters of a bad value, and never one under a secret or structured key", () => {
        const secret = "hunter2-" + "s".repeat(40);
        const [long] = problemsFor({ clusterName: "x".repeat(10_000) });
        assert.match(long, /^boutique-platform:clusterName = "x{64}"\.\.\. \(10000 characters\): /);
        const [underSecret] = problemsFor({ clusterName: secret }, ["boutique-platform:clusterName"]);
        assert.equal(underSecret.startsWith("boutique-platform:clusterName ([secret]): "), true, underSecret);
        const [structured] = problemsFor({ delivery: JSON.stringify({ alerting: { provider: "pager", channel: secret }, [secret]: 1 }) });
        assert.doesNotMatch(structured, /hunter2-s{40}/);
        assert.match(structured, /^boutique-platform:delivery: /);
        const [images] = problemsFor({ boutiqueImages: JSON.stringify({ frontend: `${secret} not an image` }) });
        assert.doesNotMatch(images, /hunter2/);
    });

    it("accepts an internet-wide admin set only with the loudly named override, never loopback alone", () => {
        assert.doesNotThrow(() => parseStackConfig(devConfigMap({ adminCidrs: '["0.0.0.0/0"]', allowInternetWideAdminAccess: "true" })));
        // Every unicast /8 but loopback: wide ranges may span special ones (169.0.0.0/8 holds link-local).
        const unicast = Array.from({ length: 223 }, (_, i) => `${i + 1}.0.0.0/8`).filter((cidr) => cidr !== "127.0.0.0/8");
        assert.doesNotThrow(() => parseStackConfig(devConfigMap({ adminCidrs: JSON.stringify(unicast), allowInternetWideAdminAccess: "true" })));
        assert.match(
            problemsFor({ adminCidrs: JSON.stringify([...unicast, "224.0.0.0/8"]), allowInternetWideAdminAccess: "true" })[0],
            /has "224\.0\.0\.0\/8", which reaches into 224\.0\.0\.0\/4, multicast/,
        );
        assert.match(problemsFor({ adminCidrs: '["127.0.0.0/8"]', allowInternetWideAdminAccess: "true" })[0], /loopback/);
        assert.doesNotThrow(() => parseStackConfig(devConfigMap({ adminCidrs: '["10.0.0.0/8", "203.0.113.7/32", "198.51.100.0/24"]' })));
    });

    it("allows private and shared space for the cluster's ranges, documentation ranges only as admin placeholders", () => {
        for (const cidr of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"])
            assert.equal(rangeUseProblem(network(cidr), "pods"), undefined, cidr);
        assert.equal(rangeUseProblem(network("203.0.113.0/24"), "admin"), undefined);
        assert.match(rangeUseProblem(network("203.0.113.0/24"), "subnet") ?? "", /documentation \(TEST-NET-3\) \(RFC 5737\)/);
        assert.match(rangeUseProblem(network("10.0.0.0/7"), "services") ?? "", /holds public addresses/);
    });

    it("counts the admitted addresses of overlapping networks once, and the internet's apart", () => {
        assert.equal(publicUnionSize(["0.0.0.0/0"].map(network)), 2 ** 32 - 2 ** 24 - 2 ** 20 - 2 ** 16 - 2 ** 22);
        assert.equal(publicUnionSize(["10.0.0.0/8", "8.8.8.8/32", "8.8.8.0/24"].map(network)), 256);
        assert.equal(unionSize(["10.0.0.0/8", "10.1.0.0/16", "11.0.0.0/8", "203.0.113.0/24", "203.0.113.128/25"].map(network)), 2 * 2 ** 24 + 256);
        assert.equal(unionSize([]), 0);
        assert.equal(unionSize([network("0.0.0.0/0")]), 2 ** 32);
    });
});

describe("config seams", () => {
    it("knows every namespace the program creates that a shop host could name as <service>.<namespace>", async function () {
        this.timeout(120_000);
        const evaluation = await evaluateDev();
        const namespaces = new Set<string>();
        for (const resource of evaluation.resources) {
            const inputs = resource.inputs as { metadata?: { name?: unknown }; namespace?: unknown };
            if (resource.type === "kubernetes:core/v1:Namespace" && typeof inputs.metadata?.name === "string") namespaces.add(inputs.metadata.name);
            if (resource.type.startsWith("kubernetes:helm") && typeof inputs.namespace === "string") namespaces.add(inputs.namespace);
        }
        assert.ok(namespaces.size >= 8, [...namespaces].join(", "));
        // A namespace with a hyphen cannot be a last label (the host pattern wants letters there).
        const nameable = [...namespaces].filter((namespace) => /^[a-z]{2,63}$/.test(namespace));
        assert.deepEqual(
            nameable.filter((namespace) => !CLUSTER_NAMESPACES.includes(namespace)),
            [],
        );
        for (const namespace of nameable) assert.match(boutiqueHostProblem(`frontend.${namespace}`) ?? "", /which pods resolve as service frontend/);
    });
});

describe("config secrets through the runtime", () => {
    it("never quotes a value the stack holds as a secret, whatever its key (the program reads the runtime's secret keys)", async function () {
        this.timeout(120_000);
        const values = { ...devConfigMap(), "boutique-platform:clusterName": "Hunter2-Not-A-Label" };
        const evaluation = evaluateProgram({
            projectRoot: PROJECT_ROOT,
            project: "boutique-platform",
            stack: "dev",
            cloud: new MockCloud(),
            config: { values, secretKeys: ["boutique-platform:clusterName"] },
        });
        await assert.rejects(evaluation, (error: Error) => {
            assert.match(error.message, /boutique-platform:clusterName \(\[secret\]\): must be a lowercase DNS label/);
            assert.doesNotMatch(error.message, /Hunter2/);
            return true;
        });
    });
});
