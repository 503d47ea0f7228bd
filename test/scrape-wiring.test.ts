import { strict as assert } from "assert";
import { KubernetesObject } from "../components/shared/kubernetes-object";
import { RenderedResource } from "../render/evaluation";
import { clusterModel } from "./support/cluster-model";
import { PlacedObject, RENDERED_STACK_NAMES, RenderedPlatform, renderedSuite } from "./support/platform-render";
import { checkScrapes, ScrapeReport } from "./support/wiring-scrapes";

type Json = Record<string, unknown>;

function scrapesOf(
    platform: RenderedPlatform,
    objects: readonly PlacedObject[] = platform.objects,
    resources: readonly RenderedResource[] = platform.evaluation.resources,
): ScrapeReport {
    return checkScrapes(clusterModel(objects, resources, platform.evaluation.artifacts), resources);
}

/** The platform's objects with one object rewritten (or dropped, when `edit` returns undefined). */
function edited(platform: RenderedPlatform, kind: string, name: string, edit: (object: Json) => Json | undefined): PlacedObject[] {
    let found = false;
    const objects = platform.objects.flatMap((placed) => {
        if (placed.object.kind !== kind || placed.object.metadata.name !== name) return [placed];
        found = true;
        const result = edit(JSON.parse(JSON.stringify(placed.object)) as Json);
        return result ? [{ ...placed, object: result as KubernetesObject }] : [];
    });
    assert.ok(found, `${kind}/${name} is rendered`);
    return objects;
}

describe("scrapes: what Prometheus is told to scrape exists and lets it in (rendered releases, manifests, firewall)", function () {
    const rendered = renderedSuite(this);

    for (const stack of RENDERED_STACK_NAMES) {
        it(`${stack}: every ServiceMonitor, PodMonitor and static target is reachable`, async () => {
            const platform = await rendered.platform(stack);
            const report = scrapesOf(platform);
            const monitors = new Set(report.scrapes.map((scrape) => scrape.monitor));
            console.log(`      ${stack}: ${report.scrapes.length} scrapes from ${monitors.size} monitors and static jobs, ${report.problems.length} problems`);
            assert.deepEqual(report.problems, []);
            // The scrapes this platform exists for are among them (the check is not vacuous).
            for (const monitor of [
                "PodMonitor/monitoring/envoy-sidecars",
                "PodMonitor/flagger/flagger",
                "ServiceMonitor/monitoring/istiod",
                "ServiceMonitor/monitoring/kube-prometheus-stack-prometheus-node-exporter",
                "ServiceMonitor/logging/loki",
                "ServiceMonitor/autoscaler/scaler",
            ]) {
                assert.ok(monitors.has(monitor), monitor);
            }
            assert.ok([...monitors].some((monitor) => monitor.startsWith("static haproxy")));
        });
    }

    it("what the model says Istio's injector does is in the injection template istiod renders", async () => {
        const platform = await rendered.platform("dev");
        const injector = platform.objects.find(({ object }) => object.kind === "ConfigMap" && object.metadata.name === "istio-sidecar-injector")?.object;
        const template = JSON.stringify(injector?.data ?? {});
        // Merged metrics on the agent's 15020, the tlsMode label, and the inbound ports never captured (plus the annotation's).
        for (const fact of [
            '\\"prometheus.io/port\\" \\"15020\\"',
            "security.istio.io/tlsMode",
            "15090,15021,",
            "traffic.sidecar.istio.io/excludeInboundPorts",
        ]) {
            assert.ok(template.includes(fact), fact);
        }
    });

    describe("each way a scrape breaks is caught (dev)", () => {
        let platform: RenderedPlatform;
        before(async function () {
            platform = await rendered.platform("dev");
        });

        it("a monitor's port that no Service or pod has", () => {
            const objects = edited(platform, "ServiceMonitor", "istiod", (monitor) => ({
                ...monitor,
                spec: { ...(monitor.spec as Json), endpoints: [{ port: "http-monitor" }] },
            }));
            assert.match(
                scrapesOf(platform, objects).problems.join("\n"),
                /ServiceMonitor\/monitoring\/istiod: none of Service\/istio-system\/istiod has the port http-monitor/,
            );
            const pods = edited(platform, "PodMonitor", "flagger", (monitor) => ({
                ...monitor,
                spec: { ...(monitor.spec as Json), podMetricsEndpoints: [{ port: "metrics" }] },
            }));
            assert.match(scrapesOf(platform, pods).problems.join("\n"), /PodMonitor\/flagger\/flagger: no selected pod has port metrics/);
        });

        it("a Service a monitor selects is gone", () => {
            const objects = edited(platform, "Service", "scaler", () => undefined);
            assert.match(scrapesOf(platform, objects).problems.join("\n"), /ServiceMonitor\/autoscaler\/scaler: selects no Service/);
        });

        it("the firewall port between nodes is gone (host-network node-exporter, static HAProxy target)", () => {
            const withoutRule = (rule: string) => platform.evaluation.resources.filter((resource) => resource.name !== rule);
            assert.match(
                scrapesOf(platform, platform.objects, withoutRule("network-allow-node-metrics")).problems.join("\n"),
                /node-exporter:9100: the GCE firewall drops tcp\/9100 from boutique-dev-worker-0 to boutique-dev-worker-1/,
            );
            assert.match(
                scrapesOf(platform, platform.objects, withoutRule("network-allow-haproxy-metrics")).problems.join("\n"),
                /static haproxy .*: the GCE firewall drops tcp\/8405/,
            );
        });

        it("STRICT mTLS refuses Flagger's metrics once the port goes through its sidecar", () => {
            const objects = edited(platform, "Deployment", "flagger", (deployment) => {
                const template = (deployment.spec as Json).template as { metadata: { annotations: Record<string, string> } };
                delete template.metadata.annotations["traffic.sidecar.istio.io/excludeInboundPorts"];
                return deployment;
            });
            assert.match(
                scrapesOf(platform, objects).problems.join("\n"),
                /PodMonitor\/flagger\/flagger -> Deployment\/flagger\/flagger:8080: refused, STRICT mTLS/,
            );
        });

        it("the shop's deny-all NetworkPolicy drops the sidecar scrapes without the scrape allowance", () => {
            const objects = edited(platform, "NetworkPolicy", "allow-prometheus-scrape", () => undefined);
            assert.match(
                scrapesOf(platform, objects).problems.join("\n"),
                /envoy-sidecars -> Deployment\/boutique\/frontend:15020: no NetworkPolicy lets Prometheus in/,
            );
        });
    });
});
