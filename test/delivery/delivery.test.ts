import { strict as assert } from "assert";
import { Evaluation } from "../../render/evaluation";
import { dig } from "../fixtures";
import { evaluateDev, manifestObjects, ofType } from "../support/program";

const canaryOf = (evaluation: Evaluation) => manifestObjects(evaluation).find((object) => object.kind === "Canary");

describe("Online Boutique and its frontend's delivery (dev stack, mock runtime)", function () {
    this.timeout(120_000);

    it("installs the chart pinned, rendered by Pulumi (helm.v4.Chart), into an injected namespace", async () => {
        const evaluation = await evaluateDev();
        const [chart] = ofType(evaluation, "kubernetes:helm.sh/v4:Chart");
        assert.deepEqual([chart.inputs.chart, chart.inputs.version], ["oci://us-docker.pkg.dev/online-boutique-ci/charts/onlineboutique", "0.10.6"]);
        for (const key of ["sidecars", "authorizationPolicies", "networkPolicies", "serviceAccounts"])
            assert.equal(dig(chart.inputs, "values", key, "create"), true, key);
        assert.equal(dig(chart.inputs, "values", "frontend", "externalService"), false, "no LoadBalancer");
        assert.equal(dig(chart.inputs, "values", "frontend", "virtualService", "create"), false, "Flagger owns the VirtualService");
        assert.equal(dig(chart.inputs, "values", "loadGenerator", "checkFrontendInitContainer"), false, "the install does not wait for the primary");
        const ns = manifestObjects(evaluation).find((object) => object.kind === "Namespace" && object.metadata.name === "boutique");
        assert.equal(ns?.metadata.labels?.["istio-injection"], "enabled");
    });

    it("5. the Canary routes the entry point's IP and the configured names, on the gateway and mesh", async () => {
        const evaluation = await evaluateDev({ boutiqueHosts: '["shop.example.com"]' });
        const service = dig(canaryOf(evaluation), "spec", "service");
        assert.deepEqual(dig(service, "gateways"), ["boutique/boutique-gateway", "mesh"]);
        assert.deepEqual(dig(service, "hosts"), [evaluation.stackOutputs.haproxyPublicIp, "shop.example.com"]);
        const flagger = ofType(evaluation, "kubernetes:helm.sh/v3:Release").find((release) => release.name === "flagger");
        assert.equal(dig(flagger?.inputs, "values", "metricsServer"), "http://prometheus-operated.monitoring.svc.cluster.local:9090");
        assert.equal(dig(flagger?.inputs, "values", "podMonitor", "honorLabels"), true, "flagger_canary_status keeps its namespace label");
    });

    it("follows the delivery key: an A/B test and alerting, the webhook URL a secret everywhere", async () => {
        const url = "https://hooks.slack.com/services/T000/B000/VERYSECRET";
        const evaluation = await evaluateDev({
            delivery: JSON.stringify({
                strategy: "ab",
                iterations: 20,
                match: [{ header: "x-canary", exact: "beta" }],
                alerting: { provider: "slack", channel: "#releases" },
            }),
            deliveryAlertWebhookUrl: url,
        });
        const analysis = dig(canaryOf(evaluation), "spec", "analysis");
        assert.deepEqual(dig(analysis, "match"), [{ headers: { "x-canary": { exact: "beta" } } }]);
        assert.deepEqual(dig(analysis, "alerts", 0, "providerRef"), { name: "chat", namespace: "boutique" });
        const provider = manifestObjects(evaluation).find((object) => object.kind === "AlertProvider");
        assert.deepEqual(dig(provider, "spec"), { type: "slack", channel: "#releases", secretRef: { name: "flagger-alert-webhook" } });
        const secret = manifestObjects(evaluation).find((object) => object.kind === "Secret" && object.metadata.name === "flagger-alert-webhook");
        assert.equal(dig(secret, "stringData"), "[secret]");
        assert.doesNotMatch(JSON.stringify([evaluation.resources, evaluation.artifacts]), /VERYSECRET/);
    });

    it("is absent with enableBoutique false", async () => {
        const evaluation = await evaluateDev({ enableBoutique: "false" });
        assert.equal(ofType(evaluation, "kubernetes:helm.sh/v4:Chart").length, 0);
        assert.equal(canaryOf(evaluation), undefined);
    });
});
