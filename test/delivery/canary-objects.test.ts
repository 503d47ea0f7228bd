import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { DeliveryConfig, SEED_DELIVERY } from "../../config/delivery-config";
import { CanaryArgs, frontendCanary, userJourneysScript } from "../../components/delivery/canary-objects";
import { alertProviderObject, alertWebhookSecretData, boutiqueGateway, SLI_QUERIES, sliMetricTemplates } from "../../components/delivery/delivery-objects";
import { dig } from "../fixtures";
import { FLAGGER_CRDS, loadFlaggerSchemas, validateFlaggerObject } from "../support/flagger-schemas";
import { loadSchemas, validateObject } from "../support/kubernetes-schemas";
import { requireTool } from "../support/tools";

const ARGS: CanaryArgs = {
    namespace: "boutique",
    gateway: "boutique/boutique-gateway",
    hosts: ["203.0.113.10", "boutique.example.com"],
    loadtesterUrl: "http://flagger-loadtester.boutique/",
    metricTemplatesNamespace: "boutique",
    alertProvider: { name: "chat", namespace: "boutique" },
};
const delivery = (overrides: Partial<DeliveryConfig>): DeliveryConfig => ({ ...SEED_DELIVERY, ...overrides });
const analysis = (d: DeliveryConfig) => dig(frontendCanary(d, ARGS), "spec", "analysis") as Record<string, unknown>;

const STRATEGIES: [string, DeliveryConfig][] = [
    ["the seed's canary", SEED_DELIVERY],
    ["a gradual canary", delivery({ stepWeights: [1, 2, 5, 10, 25] })],
    ["an A/B test on a header", delivery({ strategy: "ab", iterations: 10, match: [{ header: "x-canary", exact: "beta" }, { cookie: "canary=always" }] })],
    ["blue/green with mirroring", delivery({ strategy: "bluegreen", iterations: 5, mirror: true })],
    ["alerting on", delivery({ alerting: { provider: "slack", channel: "#releases", severity: "error" } })],
];

describe("the frontend's Canary and Flagger objects (pure)", () => {
    it("the default is the seed's canary, number for number", () => {
        const canary = frontendCanary(SEED_DELIVERY, ARGS);
        assert.deepEqual(dig(canary, "spec", "service"), { port: 80, targetPort: 8080, gateways: ["boutique/boutique-gateway", "mesh"], hosts: ARGS.hosts });
        assert.equal(dig(canary, "spec", "progressDeadlineSeconds"), 60);
        const a = analysis(SEED_DELIVERY);
        assert.deepEqual([a.interval, a.threshold, a.maxWeight, a.stepWeight, a.iterations, a.match], ["30s", 10, 25, 2, undefined, undefined]);
        assert.deepEqual((a.metrics as unknown[]).slice(0, 2), [
            { name: "request-success-rate", thresholdRange: { min: 99 }, interval: "30s" },
            { name: "request-duration", thresholdRange: { max: 500 }, interval: "30s" },
        ]);
        assert.deepEqual(dig(canary, "spec", "targetRef"), { apiVersion: "apps/v1", kind: "Deployment", name: "frontend" });
    });

    it("a gradual canary steps through the list instead of a fixed step", () => {
        const a = analysis(delivery({ stepWeights: [1, 2, 5, 10, 25] }));
        assert.deepEqual([a.stepWeights, a.stepWeight, a.maxWeight], [[1, 2, 5, 10, 25], undefined, 25]);
    });

    it("an A/B test routes by header or cookie for a number of iterations, with no weights", () => {
        const a = analysis(STRATEGIES[2][1]);
        assert.deepEqual(a.match, [{ headers: { "x-canary": { exact: "beta" } } }, { headers: { cookie: { regex: "canary=always" } } }]);
        assert.deepEqual([a.iterations, a.maxWeight, a.stepWeight], [10, undefined, undefined]);
    });

    it("blue/green runs iterations only, mirroring if asked", () => {
        const a = analysis(STRATEGIES[3][1]);
        assert.deepEqual([a.iterations, a.mirror, a.maxWeight, a.stepWeight, a.match], [5, true, undefined, undefined, undefined]);
    });

    it("webhooks: smoke test before, load during, user journeys after, a manual gate only when asked", () => {
        const hooks = (d: DeliveryConfig) => (analysis(d).webhooks as { name: string; type: string; url: string }[]).map((hook) => `${hook.type}:${hook.name}`);
        assert.deepEqual(hooks(SEED_DELIVERY), ["pre-rollout:smoke-test", "rollout:load", "post-rollout:user-journeys"]);
        const gated = analysis(delivery({ webhooks: { ...SEED_DELIVERY.webhooks, manualPromotion: true } })).webhooks as { type: string; url: string }[];
        assert.deepEqual(gated.find((hook) => hook.type === "confirm-promotion")?.url, "http://flagger-loadtester.boutique/gate/check");
    });

    it("alerts go to the AlertProvider only when alerting is configured; SLIs refer to their templates", () => {
        assert.equal(analysis(SEED_DELIVERY).alerts, undefined);
        assert.deepEqual(analysis(STRATEGIES[4][1]).alerts, [{ name: "slack", severity: "error", providerRef: { name: "chat", namespace: "boutique" } }]);
        const names = (analysis(SEED_DELIVERY).metrics as { name: string; templateRef?: { name: string } }[]).map((m) => m.templateRef?.name ?? m.name);
        assert.deepEqual(names, ["request-success-rate", "request-duration", "error-rate", "latency-p99"]);
        assert.equal((analysis(delivery({ metrics: { ...SEED_DELIVERY.metrics, sli: false } })).metrics as unknown[]).length, 2);
    });

    it("refuses a wildcard host: Istio forbids * on a VirtualService bound to mesh", () => {
        assert.throws(() => frontendCanary(SEED_DELIVERY, { ...ARGS, hosts: ["*"] }), /"\*" is not allowed with the mesh gateway/);
    });

    describe("against Flagger's CRD schemas (../shared/schemas/flagger-crds.yaml)", () => {
        const schemas = loadFlaggerSchemas();
        before(function () {
            if (!schemas) {
                console.log(`      skipped: ${FLAGGER_CRDS} is not here (a clone without ../shared)`);
                this.skip();
            }
        });
        for (const [what, d] of STRATEGIES) {
            it(`the Canary validates: ${what}`, () => validateFlaggerObject(schemas!, frontendCanary(d, ARGS)));
        }
        it("the MetricTemplates and the AlertProvider validate", () => {
            for (const object of [
                ...sliMetricTemplates("boutique", "http://prometheus-operated.monitoring:9090"),
                alertProviderObject({ name: "chat", namespace: "boutique", type: "slack", channel: "#releases", secretName: "flagger-alerts" }),
            ]) {
                validateFlaggerObject(schemas!, object);
            }
        });
        it("the webhook Secret's key is the AlertProvider field it stands in for (the URL inline validates; another key would not)", () => {
            const provider = alertProviderObject({ name: "chat", namespace: "boutique", type: "slack", channel: "#releases", secretName: "flagger-alerts" });
            const spec = { ...(provider.spec as Record<string, unknown>) };
            delete spec.secretRef;
            validateFlaggerObject(schemas!, { ...provider, spec: { ...spec, ...alertWebhookSecretData("https://hooks.example.com/x") } });
            assert.throws(() => validateFlaggerObject(schemas!, { ...provider, spec: { ...spec, url: "https://hooks.example.com/x" } }));
        });
        it("a broken Canary fails (the check can fail)", () => {
            const broken = { ...frontendCanary(SEED_DELIVERY, ARGS), spec: { analysis: { interval: "soon" } } };
            assert.throws(() => validateFlaggerObject(schemas!, broken), /targetRef|interval/);
        });
    });

    it("the Gateway validates against @kubernetes-models/istio", async () => {
        const schemas = await loadSchemas();
        validateObject(schemas, boutiqueGateway({ name: "boutique-gateway", namespace: "boutique", hosts: ARGS.hosts, selector: { istio: "ingressgateway" } }));
    });

    it("the SLI queries are valid PromQL (promtool check rules on a wrapper rule)", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const filled = (query: string) =>
            query.replaceAll("{{ namespace }}", "boutique").replaceAll("{{ target }}", "frontend").replaceAll("{{ interval }}", "30s");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sli-"));
        const file = path.join(dir, "sli.yaml");
        fs.writeFileSync(
            file,
            stringify({
                groups: [
                    {
                        name: "sli",
                        rules: Object.entries(SLI_QUERIES).map(([name, query]) => ({ record: `sli:${name.replace(/-/g, "_")}`, expr: filled(query) })),
                    },
                ],
            }),
        );
        const check = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(check.status, 0, check.stdout + check.stderr);
        assert.match(check.stdout, /SUCCESS: 2 rules found/);
    });

    it("the user-journeys script passes shellcheck", function () {
        requireTool(this, "shellcheck", "apt-get install shellcheck");
        const check = spawnSync("shellcheck", ["--shell=bash", "-"], {
            input: `#!/usr/bin/env bash\n${userJourneysScript("http://frontend.boutique")}\n`,
            encoding: "utf8",
        });
        assert.equal(check.status, 0, check.stdout);
    });
});
