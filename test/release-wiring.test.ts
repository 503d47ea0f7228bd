import { strict as assert } from "assert";
import { parse, stringify } from "yaml";
import { KubernetesObject, objectId } from "../components/shared/kubernetes-object";
import { isRecord } from "../config/records";
import { PlacedObject, RENDERED_STACK_NAMES, RenderedPlatform, renderedSuite } from "./support/platform-render";
import { describeResolution, effectivePort, resolveAddresses, RuntimeServiceRule } from "./support/wiring-addresses";
import { checkConsoleCredentials, describeCall } from "./support/wiring-credentials";
import { checkEgress, describeEgress, EgressFinding } from "./support/wiring-egress";
import { Address, PlacedValues, podTemplate } from "./support/wiring-scan";

/**
 * Issue 11, item 3: the releases are wired to each other as rendered. A: every in-cluster
 * address resolves to a Service with that port. B: every workload an Istio Sidecar scopes can
 * reach what it calls. C: every console has the credentials its callee requires. Each check
 * reads the rendered objects and values only, and each is shown to fail on a broken copy.
 */

/** Services operators create at run time for rendered objects: an address may name them. */
const RUNTIME_SERVICES: readonly RuntimeServiceRule[] = [
    // The Prometheus operator governs each Prometheus' StatefulSet with this Service (port "web").
    {
        kind: "Prometheus",
        why: "the Prometheus operator's governing Service",
        services: () => [{ name: "prometheus-operated", ports: [{ port: 9090, name: "web" }] }],
    },
    {
        kind: "Alertmanager",
        why: "the Prometheus operator's governing Service",
        services: () => [
            {
                name: "alertmanager-operated",
                ports: [
                    { port: 9093, name: "web" },
                    { port: 9094, name: "tcp-mesh" },
                ],
            },
        ],
    },
    // The API server's own Service, which an Application's in-cluster destination (https://kubernetes.default.svc) names.
    {
        kind: "Application",
        why: "the API server's Service, default/kubernetes",
        services: () => [{ name: "kubernetes", namespace: "default", ports: [{ port: 443, name: "https" }] }],
    },
    // Flagger (Istio provider) creates <service>, <service>-primary and <service>-canary on spec.service.port.
    {
        kind: "Canary",
        why: "Flagger's canary Services",
        services: (canary) => {
            const spec = isRecord(canary.spec) ? canary.spec : {};
            const service = isRecord(spec.service) ? spec.service : {};
            const apex = String(service.name ?? (isRecord(spec.targetRef) ? spec.targetRef.name : canary.metadata.name));
            const ports = [{ port: Number(service.port) }];
            return [apex, `${apex}-primary`, `${apex}-canary`].map((name) => ({ name, ports }));
        },
    },
];

function envValue(objects: readonly PlacedObject[], workload: string, name: string): string | undefined {
    const object = objects.find((placed) => objectId(placed.object) === workload)?.object;
    const containers = object ? podTemplate(object)?.spec.containers : undefined;
    const env = (Array.isArray(containers) ? containers.filter(isRecord) : []).flatMap((container) =>
        Array.isArray(container.env) ? container.env.filter(isRecord) : [],
    );
    const found = env.find((entry) => entry.name === name);
    return found === undefined ? undefined : String(found.value);
}

/**
 * Addresses given but never dialled, each with the rendered fact that keeps it idle (checked,
 * so the exception ends when the fact does).
 */
const IDLE_ADDRESSES = [
    {
        key: "shoppingassistantservice.boutique:80",
        workload: "Deployment/boutique/frontend",
        why: "the chart always sets SHOPPING_ASSISTANT_SERVICE_ADDR; the frontend dials it only with ENABLE_ASSISTANT=true, and the chart renders no such Service",
        idle: (objects: readonly PlacedObject[]) => envValue(objects, "Deployment/boutique/frontend", "ENABLE_ASSISTANT") === "false",
    },
] as const;

function idleException(objects: readonly PlacedObject[], key: string): (typeof IDLE_ADDRESSES)[number] | undefined {
    const exception = IDLE_ADDRESSES.find((candidate) => candidate.key === key);
    return exception && exception.idle(objects) ? exception : undefined;
}

function valuesOf(platform: RenderedPlatform): PlacedValues[] {
    return platform.charts.rendered.map(({ release }) => ({ release: release.name, namespace: release.namespace, values: release.values }));
}

/** A copy of the objects with one object rewritten (or dropped, when `change` returns undefined). */
function edited(objects: readonly PlacedObject[], id: string, change: (object: KubernetesObject) => KubernetesObject | undefined): PlacedObject[] {
    assert.ok(
        objects.some(({ object }) => objectId(object) === id),
        `${id} is rendered`,
    );
    return objects.flatMap((placed) => {
        if (objectId(placed.object) !== id) return [placed];
        const changed = change(structuredClone(placed.object));
        return changed ? [{ ...placed, object: changed }] : [];
    });
}

function withData(object: KubernetesObject, key: string, change: (text: string) => string): KubernetesObject {
    const data = isRecord(object.data) ? object.data : {};
    return { ...object, data: { ...data, [key]: change(String(data[key])) } };
}

const keyOf = (address: Address) => `${address.service}.${address.namespace}:${effectivePort(address) ?? "?"}`;

function unresolvedKeys(objects: readonly PlacedObject[], values: readonly PlacedValues[]): string[] {
    return resolveAddresses(objects, values, RUNTIME_SERVICES)
        .filter((resolution) => resolution.problem !== undefined)
        .map((resolution) => keyOf(resolution.address));
}

describe("release wiring, read from the rendered objects (issue 11, item 3)", function () {
    const rendered = renderedSuite(this);

    for (const stack of RENDERED_STACK_NAMES) {
        it(`${stack} A: every in-cluster address a release or manifest is given reaches a Service with that port`, async () => {
            const platform = await rendered.platform(stack);
            const resolutions = resolveAddresses(platform.objects, valuesOf(platform), RUNTIME_SERVICES);
            const failures = resolutions.filter(
                (resolution) => resolution.problem !== undefined && !idleException(platform.objects, keyOf(resolution.address)),
            );
            console.log(
                `      ${stack}: ${resolutions.length} addresses (${resolutions.reduce((sum, r) => sum + r.uses.length, 0)} uses), ${resolutions.length - failures.length} resolved or idle`,
            );
            for (const resolution of resolutions) {
                const idle = resolution.problem !== undefined ? idleException(platform.objects, keyOf(resolution.address)) : undefined;
                console.log(`        ${describeResolution(resolution)}${idle ? `\n          idle, allowed: ${idle.why}` : ""}`);
            }
            assert.deepEqual(failures.map(describeResolution), []);
            for (const exception of IDLE_ADDRESSES)
                assert.ok(
                    resolutions.some((r) => keyOf(r.address) === exception.key && r.problem !== undefined),
                    `${exception.key} is still given and unresolved; drop its exception`,
                );
            // The addresses the issue names are among those found (the scan finds them, not a list).
            const found = new Set(resolutions.map((r) => `${r.address.service}.${r.address.namespace}`));
            for (const name of [
                "loki-gateway.logging",
                "tempo.tracing",
                "grafana.monitoring",
                "prometheus-operated.monitoring",
                "kps-alertmanager.monitoring",
                "otel-collector.otel",
                "flagger-loadtester.boutique",
                "scaler.autoscaler",
            ]) {
                assert.ok(found.has(name), `${name} is among the addresses found`);
            }
        });

        it(`${stack} B: every workload an Istio Sidecar scopes can reach what it calls, the tracing collector and istiod`, async () => {
            const platform = await rendered.platform(stack);
            const report = checkEgress(platform.objects);
            const scoped = report.workloads.filter((workload) => workload.sidecar !== undefined);
            const idle = (finding: EgressFinding) =>
                idleException(platform.objects, `${finding.destination.host.split(".").slice(0, 2).join(".")}:${finding.destination.port}`);
            const blocked = report.findings.filter((finding) => !finding.allowed && !idle(finding));
            console.log(
                `      ${stack}: ${report.sidecars.length} Sidecars, ${report.workloads.length} workloads in the mesh (${scoped.length} scoped), ${report.findings.length} destinations`,
            );
            for (const workload of report.workloads.filter((w) => w.sidecar === undefined))
                console.log(`        ${workload.workload}: no Sidecar scopes it (every host visible)`);
            for (const finding of report.findings.filter((f) => f.sidecar !== undefined))
                console.log(`        ${describeEgress(finding)}${!finding.allowed && idle(finding) ? " (idle, allowed)" : ""}`);
            assert.deepEqual(report.ambiguous, []);
            assert.ok(scoped.length > 0, "the shop's Sidecars scope its workloads");
            assert.deepEqual(blocked.map(describeEgress), []);
        });

        it(`${stack} C: every console has the credentials the console it calls requires`, async () => {
            const platform = await rendered.platform(stack);
            const calls = checkConsoleCredentials(platform.objects, RUNTIME_SERVICES);
            console.log(`      ${stack}: ${calls.length} console calls`);
            for (const call of calls) console.log(`        ${describeCall(call)}`);
            assert.deepEqual(calls.filter((call) => call.problems.length > 0).map(describeCall), []);
            assert.deepEqual(
                new Set(calls.map((call) => call.caller.replace(/.* -> |.*datasource /, ""))),
                new Set(["prometheus", "grafana", "tracing", "Prometheus", "Alertmanager", "Loki", "Tempo"]),
            );
        });
    }

    describe("each check fails on a broken copy of the dev stack", () => {
        it("A: a Service on another port, a Service dropped, an operator object dropped", async () => {
            const { objects, ...platform } = await rendered.platform("dev");
            const values = valuesOf({ objects, ...platform });
            const movedTempo = edited(objects, "Service/tracing/tempo", (service) => ({
                ...service,
                spec: {
                    ...(service.spec as object),
                    ports: [
                        { name: "http", port: 3201 },
                        { name: "otlp", port: 4317 },
                    ],
                },
            }));
            assert.deepEqual(unresolvedKeys(movedTempo, values), ["tempo.tracing:3200", "shoppingassistantservice.boutique:80"].sort());
            const noCollector = edited(objects, "Service/otel/otel-collector", () => undefined);
            assert.ok(unresolvedKeys(noCollector, values).includes("otel-collector.otel:4317"));
            const noScaler = edited(objects, "Service/autoscaler/scaler", () => undefined);
            assert.ok(unresolvedKeys(noScaler, values).includes("scaler.autoscaler:8086"));
            const noPrometheus = edited(objects, "Prometheus/monitoring/kps-prometheus", () => undefined);
            assert.ok(unresolvedKeys(noPrometheus, values).includes("prometheus-operated.monitoring:9090"));
        });

        it("B: a Sidecar without istio-system/*, without a service it calls, without the collector", async () => {
            const { objects } = await rendered.platform("dev");
            const withoutHost = (host: string) => (sidecar: KubernetesObject) => {
                const spec = sidecar.spec as { egress: { hosts: string[] }[] };
                return {
                    ...sidecar,
                    spec: { ...spec, egress: spec.egress.map((listener) => ({ ...listener, hosts: listener.hosts.filter((entry) => entry !== host) })) },
                };
            };
            const blocked = (copy: PlacedObject[]) =>
                checkEgress(copy)
                    .findings.filter((finding) => !finding.allowed && finding.workload === "Deployment/boutique/cartservice")
                    .map((finding) => finding.destination.host);
            assert.deepEqual(blocked(edited(objects, "Sidecar/boutique/cartservice", withoutHost("istio-system/*"))), [
                "istiod.istio-system.svc.cluster.local",
            ]);
            assert.deepEqual(blocked(edited(objects, "Sidecar/boutique/cartservice", withoutHost("./redis-cart.boutique.svc.cluster.local"))), [
                "redis-cart.boutique.svc.cluster.local",
            ]);
            assert.deepEqual(blocked(edited(objects, "Sidecar/boutique/cartservice", withoutHost("otel/otel-collector.otel.svc.cluster.local"))), [
                "otel-collector.otel.svc.cluster.local",
            ]);
        });

        it("C: Kiali without Grafana's login, Loki made multi-tenant, Grafana put behind STRICT mTLS", async () => {
            const { objects } = await rendered.platform("dev");
            const problems = (copy: PlacedObject[]) =>
                checkConsoleCredentials(copy, RUNTIME_SERVICES).flatMap((call) =>
                    call.problems.map((problem) => `${call.caller.replace(/.*\(kiali\) -> |.*datasource /, "")}: ${problem.split(":")[0]}`),
                );
            const noLogin = edited(objects, "ConfigMap/istio-system/kiali", (configMap) =>
                withData(configMap, "config.yaml", (text) => {
                    const config = parse(text) as { external_services: { grafana: Record<string, unknown> } };
                    delete config.external_services.grafana.auth;
                    return stringify(config);
                }),
            );
            assert.deepEqual(problems(noLogin), ["grafana: needs a login (basic or token)"]);
            // The login names a Secret: without it in Kiali's namespace the chart mounts nothing Kiali can read.
            assert.deepEqual(problems(edited(objects, "Secret/istio-system/kiali-grafana", () => undefined)), ["grafana: needs a login (basic or token)"]);
            const multiTenant = edited(objects, "ConfigMap/logging/loki", (configMap) =>
                withData(configMap, "config.yaml", (text) => text.replace("auth_enabled: false", "auth_enabled: true")),
            );
            assert.deepEqual(problems(multiTenant), ["Loki: needs header X-Scope-OrgID"]);
            const meshed = edited(objects, "Namespace/monitoring", (namespace) => ({
                ...namespace,
                metadata: { ...namespace.metadata, labels: { "istio-injection": "enabled" } },
            }));
            // Kiali (istio-system, no sidecar) then cannot reach Grafana or Prometheus; Grafana, meshed too, still reaches its datasources.
            assert.deepEqual(problems(meshed).sort(), ["grafana: caller has no sidecar", "prometheus: caller has no sidecar"]);
        });
    });
});
