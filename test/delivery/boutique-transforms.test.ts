import { strict as assert } from "assert";
import { boutiqueChartTransform, BoutiqueTransformOptions, SERVICE_LABEL, transformBoutiqueObject } from "../../components/delivery/boutique-transforms";
import { deliveryNetworkPolicies } from "../../components/delivery/delivery-objects";
import { frontendCallers } from "../../components/delivery/progressive-delivery";
import { dig } from "../fixtures";
import {
    chartCartAuthorizationPolicy,
    chartCartNetworkPolicy,
    chartDenyAllNetworkPolicy,
    chartDeployment,
    chartFrontendAuthorizationPolicy,
    chartFrontendNetworkPolicy,
    chartFrontendService,
    chartFrontendSidecar,
} from "../support/boutique-chart-shapes";

type Json = Record<string, unknown>;
type Labels = Readonly<Record<string, string>>;

const GATEWAY_PRINCIPAL = "cluster.local/ns/istio-ingress/sa/istio-ingressgateway";
const LOADTESTER_PRINCIPAL = "cluster.local/ns/boutique/sa/flagger-loadtester";
const OPTIONS: BoutiqueTransformOptions = {
    target: "frontend",
    images: { frontend: "registry.gitlab.com/hamdane10/gke-cloud-project/frontend:v0.10.9" },
    // What the program passes (index.ts); the assertions name the identities themselves.
    frontendCallers: frontendCallers("boutique"),
};
const t = (object: Json) => transformBoutiqueObject(object, OPTIONS);

/** The pods Flagger runs: the target's own (the canary) and its primary, whose `app` is renamed. */
function flaggerPods(): { canary: Labels; primary: Labels } {
    const canary = dig(t(chartDeployment("frontend")), "spec", "template", "metadata", "labels") as Labels;
    return { canary, primary: { ...canary, app: "frontend-primary" } };
}

const matches = (selector: unknown, labels: Labels) => Object.entries((selector ?? {}) as Labels).every(([key, value]) => labels[key] === value);

interface Peer {
    readonly namespace: string;
    readonly labels: Labels;
}

/** Kubernetes NetworkPolicy ingress semantics (namespaceSelector by metadata.name), for one namespace's policies. */
function ingressAllowed(policies: readonly Json[], namespace: string, target: Labels, source: Peer, port: number): boolean {
    const selecting = policies.filter(
        (p) => (dig(p, "spec", "policyTypes") as string[]).includes("Ingress") && matches(dig(p, "spec", "podSelector", "matchLabels"), target),
    );
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
        ((dig(p, "spec", "ingress") ?? []) as Json[]).some((rule) => {
            const peers = (rule.from ?? []) as Json[];
            const peerOk =
                peers.length === 0 ||
                peers.some((peer) => {
                    const ns = dig(peer, "namespaceSelector", "matchLabels") as Labels | undefined;
                    const pods = dig(peer, "podSelector", "matchLabels") as Labels | undefined;
                    const nsOk = ns ? matches(ns, { "kubernetes.io/metadata.name": source.namespace }) : source.namespace === namespace;
                    return nsOk && (pods === undefined || matches(pods, source.labels));
                });
            const ports = (rule.ports ?? []) as { port: number }[];
            return peerOk && (ports.length === 0 || ports.some((p) => p.port === port));
        }),
    );
}

describe("Online Boutique's chart, made to live with Flagger (transforms)", () => {
    const policies = [chartFrontendNetworkPolicy, chartCartNetworkPolicy, chartDenyAllNetworkPolicy].map(t);
    const withDelivery = [
        ...policies,
        ...deliveryNetworkPolicies({
            namespace: "boutique",
            monitoringNamespace: "monitoring",
            flaggerNamespace: "flagger",
            loadtesterLabels: { app: "loadtester" },
        }),
    ];

    it("1. the chart's frontend Service points where Flagger points it (the primary), so neither undoes the other", () => {
        assert.deepEqual(dig(t(chartFrontendService), "spec", "selector"), { app: "frontend-primary" });
        assert.equal(
            dig(t(chartFrontendService), "metadata", "annotations", "pulumi.com/skipAwait"),
            "true",
            "no wait for a primary that comes after the chart",
        );
        assert.deepEqual(
            dig(t({ ...chartFrontendService, metadata: { name: "cartservice" } }), "spec", "selector"),
            { app: "frontend" },
            "other Services untouched",
        );
    });

    it("2/3. policies and Sidecars that meant the frontend match both frontend and frontend-primary pods", () => {
        const { canary, primary } = flaggerPods();
        for (const [what, selector] of [
            ["NetworkPolicy podSelector", dig(t(chartFrontendNetworkPolicy), "spec", "podSelector", "matchLabels")],
            ["AuthorizationPolicy selector", dig(t(chartFrontendAuthorizationPolicy), "spec", "selector", "matchLabels")],
            ["Sidecar workloadSelector", dig(t(chartFrontendSidecar), "spec", "workloadSelector", "labels")],
        ] as const) {
            assert.ok(matches(selector, canary) && matches(selector, primary), `${what} ${JSON.stringify(selector)}`);
            assert.ok(!matches(selector, { app: "cartservice", [SERVICE_LABEL]: "cartservice" }), `${what} selects nothing else`);
        }
        for (const pod of [canary, primary]) {
            assert.ok(
                ingressAllowed(policies, "boutique", { app: "cartservice", [SERVICE_LABEL]: "cartservice" }, { namespace: "boutique", labels: pod }, 7070),
                `cart accepts ${pod.app}`,
            );
        }
    });

    it("every Sidecar imports istiod's tracing collector, once, beside the chart's hosts", () => {
        const hosts = dig(t(chartFrontendSidecar), "spec", "egress", 0, "hosts");
        assert.deepEqual(hosts, ["istio-system/*", "./cartservice.boutique.svc.cluster.local", "otel/otel-collector.otel.svc.cluster.local"]);
        assert.deepEqual(dig(t(t(chartFrontendSidecar)), "spec", "egress", 0, "hosts"), hosts, "applying twice adds nothing");
    });

    it("lets the ingress gateway and the loadtester reach both frontends, in NetworkPolicy and AuthorizationPolicy", () => {
        const { canary, primary } = flaggerPods();
        for (const pod of [canary, primary]) {
            assert.ok(ingressAllowed(policies, "boutique", pod, { namespace: "istio-ingress", labels: { app: "istio-ingressgateway" } }, 8080));
            assert.ok(ingressAllowed(policies, "boutique", pod, { namespace: "boutique", labels: { app: "loadtester" } }, 8080));
            assert.ok(!ingressAllowed(policies, "boutique", pod, { namespace: "default", labels: { app: "anything" } }, 8080), "strangers stay out");
        }
        const principals = dig(t(chartFrontendAuthorizationPolicy), "spec", "rules", 0, "from", 0, "source", "principals");
        assert.deepEqual(principals, ["cluster.local/ns/boutique/sa/loadgenerator", GATEWAY_PRINCIPAL, LOADTESTER_PRINCIPAL]);
        assert.deepEqual(
            t(chartCartAuthorizationPolicy),
            chartCartAuthorizationPolicy,
            "the primary keeps the frontend's service account: backends' policies hold",
        );
    });

    it("4. Prometheus reaches every sidecar's metrics ports under the NetworkPolicies (and not without the added policy)", () => {
        const prometheus = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } };
        const { canary, primary } = flaggerPods();
        for (const pod of [canary, primary, { app: "cartservice", [SERVICE_LABEL]: "cartservice" }]) {
            for (const port of [15020, 15090]) {
                assert.ok(ingressAllowed(withDelivery, "boutique", pod, prometheus, port), `${pod.app}:${port}`);
                assert.ok(!ingressAllowed(policies, "boutique", pod, prometheus, port), `the chart alone blocks ${pod.app}:${port}`);
            }
        }
        assert.ok(
            ingressAllowed(withDelivery, "boutique", { app: "loadtester" }, { namespace: "flagger", labels: { app: "flagger" } }, 8080),
            "Flagger calls the loadtester",
        );
    });

    it("6. the frontend Deployment has no replicas (Flagger scales it); images are overridden per service", () => {
        const chart = chartDeployment("frontend");
        const frontend = t({ ...chart, spec: { ...(chart.spec as Json), replicas: 3 } });
        assert.equal(dig(frontend, "spec", "replicas"), undefined);
        assert.equal(dig(frontend, "spec", "template", "spec", "containers", 0, "image"), OPTIONS.images.frontend);
        const cart = t({ ...chartDeployment("cartservice"), spec: { ...(chartDeployment("cartservice").spec as Json), replicas: 2 } });
        assert.equal(dig(cart, "spec", "replicas"), 2, "other workloads keep theirs");
        assert.match(String(dig(cart, "spec", "template", "spec", "containers", 0, "image")), /microservices-demo\/cartservice:v0\.10\.6$/);
        assert.deepEqual(dig(cart, "spec", "selector"), { matchLabels: { app: "cartservice" } }, "selectors (immutable) are untouched");
    });

    it("is what the chart's Pulumi transform applies to each child's props", async () => {
        const transform = boutiqueChartTransform(OPTIONS);
        const child = { type: "kubernetes:core/v1:Service", name: "boutique/frontend", custom: true, props: chartFrontendService, opts: {} };
        const result = await transform(child);
        assert.deepEqual(result?.props, t(chartFrontendService));
        assert.equal(
            await transform({ ...child, type: "kubernetes:helm.sh/v4:Chart", props: { chart: "x" } }),
            undefined,
            "not a Kubernetes object: untouched",
        );
    });

    it("leaves other kinds alone", () => {
        const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "b" } };
        assert.deepEqual(t(configMap), configMap);
    });
});
