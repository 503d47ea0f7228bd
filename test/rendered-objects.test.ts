import { strict as assert } from "assert";
import { KubernetesObject } from "../components/shared/kubernetes-object";
import { Crd, CrdSchemas, fromGoPattern, isCrd } from "./support/crd-schemas";
import { builtInGroups, groupVersion, loadSchemas, validateObject, Validator, withRedactedMaps } from "./support/kubernetes-schemas";
import { PlacedObject, PROGRAM_SOURCE, RENDERED_STACK_NAMES, renderedSuite } from "./support/platform-render";

/**
 * Custom API groups whose CRDs an operator registers when it starts, so no release ships them:
 * their objects have no schema before the cluster runs and are let through unchecked (counted).
 */
const RUNTIME_CRDS: ReadonlyMap<string, string> = new Map([["cilium.io", "cilium-operator registers Cilium's CRDs at start; the cilium chart ships none"]]);

interface Checkers {
    readonly models: ReadonlyMap<string, Validator>;
    readonly crds: CrdSchemas;
}

type Verdict = { readonly problems: readonly string[]; readonly unchecked: boolean };

/**
 * Every reason the API server would refuse `object`. Built-in kinds: kubernetes-models at the
 * object's own version. Custom kinds: the CRD a release ships, and the Istio or Prometheus
 * operator model too where one exists.
 */
function verdict(object: KubernetesObject, { models, crds }: Checkers): Verdict {
    const [group] = groupVersion(object.apiVersion);
    const checks: (() => void)[] = [];
    if (builtInGroups().has(group)) checks.push(() => validateObject(models, object));
    else {
        if (crds.has(object) || !RUNTIME_CRDS.has(group)) checks.push(() => crds.validate(object));
        if (models.has(`${object.apiVersion}/${object.kind}`)) checks.push(() => validateObject(models, object));
    }
    const problems = checks.flatMap((check) => {
        try {
            check();
            return [];
        } catch (error) {
            return [(error as Error).message];
        }
    });
    return { problems, unchecked: checks.length === 0 };
}

/** The checkers for a set of objects: the models, and the CRDs among the objects themselves. */
function checkersFor(objects: readonly PlacedObject[], models: ReadonlyMap<string, Validator>): Checkers {
    return { models, crds: new CrdSchemas(objects.map(({ object }) => object).filter((object): object is Crd => isCrd(object))) };
}

const asApplied = ({ source, object }: PlacedObject): KubernetesObject => (source === PROGRAM_SOURCE ? withRedactedMaps(object) : object);

describe("every object the cluster would receive, against its real schema", function () {
    const rendered = renderedSuite(this);
    let models: ReadonlyMap<string, Validator>;
    before(async () => {
        models = await loadSchemas();
    });

    for (const stack of RENDERED_STACK_NAMES) {
        it(`${stack}: every chart object and program manifest validates (Kubernetes' kinds by kubernetes-models, custom kinds by the charts' own CRDs and the Istio / Prometheus operator models)`, async () => {
            const platform = await rendered.platform(stack);
            const failed = platform.charts.failed.map(({ release }) => release.name);
            assert.deepEqual(failed, [], "a release that does not render has objects nobody validates");
            const checkers = checkersFor(platform.objects, models);
            const invalid: string[] = [];
            const unchecked: string[] = [];
            let againstCrds = 0;
            for (const placed of platform.objects) {
                const object = asApplied(placed);
                const { problems, unchecked: wasUnchecked } = verdict(object, checkers);
                invalid.push(...problems.map((problem) => `[${placed.source}] ${problem}`));
                if (wasUnchecked) unchecked.push(`${object.apiVersion} ${object.kind}: ${RUNTIME_CRDS.get(groupVersion(object.apiVersion)[0]) ?? ""}`);
                if (checkers.crds.has(object)) againstCrds += 1;
            }
            assert.deepEqual(invalid, [], `${invalid.length} problems:\n${invalid.join("\n")}`);
            const program = platform.objects.filter(({ source }) => source === PROGRAM_SOURCE).length;
            const validated = platform.objects.length - unchecked.length;
            console.log(`      ${stack}: ${validated} objects validated (${platform.objects.length - program} chart, ${program} program), 0 invalid`);
            console.log(
                `      ${stack}: ${againstCrds} custom objects against ${checkers.crds.size} CRD versions the charts ship, ${unchecked.length} unchecked (CRD registered at run time)${unchecked.map((u) => `\n        ${u}`).join("")}`,
            );
            assert.ok(againstCrds > 50 && platform.objects.length > 300, `${againstCrds} custom of ${platform.objects.length} objects`);
            // What this stack must have exercised: each family of custom kinds against its CRD.
            for (const group of ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "monitoring.coreos.com", "flagger.app"]) {
                assert.ok(
                    platform.objects.some(({ object }) => groupVersion(object.apiVersion)[0] === group && checkers.crds.has(object)),
                    `no ${group} object was validated against a CRD`,
                );
            }
        });
    }

    describe("the checks can fail", () => {
        let checkers: Checkers;
        let objects: readonly PlacedObject[];
        before(async () => {
            objects = (await rendered.platform("dev")).objects;
            checkers = checkersFor(objects, models);
        });
        const find = (source: string, kind: string): KubernetesObject => {
            const found = objects.find(
                (placed) => placed.object.kind === kind && (source === "chart" ? placed.source !== PROGRAM_SOURCE : placed.source === source),
            );
            assert.ok(found, `no ${kind} from ${source}`);
            return structuredClone(found.object);
        };
        const problemsOf = (object: KubernetesObject) => verdict(object, checkers).problems.join("\n");

        it("a chart's Deployment with containers as a string, a chart's Service with a port as an object", () => {
            const deployment = find("chart", "Deployment") as KubernetesObject & { spec: { template: { spec: Record<string, unknown> } } };
            assert.equal(problemsOf(deployment), "");
            deployment.spec.template.spec.containers = "x";
            assert.match(problemsOf(deployment), /containers must be array/);
            const service = find("chart", "Service") as KubernetesObject & { spec: { ports: Record<string, unknown>[] } };
            assert.equal(problemsOf(service), "");
            service.spec.ports[0] = { ...service.spec.ports[0], port: { number: 80 } };
            assert.match(problemsOf(service), /ports\/0\/port must be integer/);
        });

        it("a PodMonitor with an unknown enum value, a wrong type or an unknown field fails the CRD kube-prometheus-stack ships", () => {
            const podMonitor = find(PROGRAM_SOURCE, "PodMonitor") as KubernetesObject & { spec: { podMetricsEndpoints: Record<string, unknown>[] } };
            checkers.crds.validate(podMonitor);
            const withEndpoint = (endpoint: Record<string, unknown>) => ({
                ...podMonitor,
                spec: { ...podMonitor.spec, podMetricsEndpoints: [{ ...podMonitor.spec.podMetricsEndpoints[0], ...endpoint }] },
            });
            assert.throws(
                () => checkers.crds.validate(withEndpoint({ scheme: "gopher" })),
                /CRD podmonitors\.monitoring\.coreos\.com.*scheme must be equal to one of the allowed values/,
            );
            assert.throws(
                () => checkers.crds.validate({ ...podMonitor, spec: { ...podMonitor.spec, podMetricsEndpoints: "all" } }),
                /podMetricsEndpoints must be array/,
            );
            // A field the schema does not declare: the API server would prune it silently.
            assert.throws(() => checkers.crds.validate(withEndpoint({ intervall: "30s" })), /must NOT have additional properties: intervall/);
        });

        it("Kubernetes' dialect: int-or-string takes both and nothing else; a null field is pruned, not refused", () => {
            const monitor = find("chart", "ServiceMonitor") as KubernetesObject & { spec: { endpoints: Record<string, unknown>[] } };
            const withTargetPort = (targetPort: unknown) => ({
                ...monitor,
                spec: { ...monitor.spec, endpoints: [{ ...monitor.spec.endpoints[0], port: undefined, targetPort }] },
            });
            for (const targetPort of [8080, "http-metrics"]) checkers.crds.validate(JSON.parse(JSON.stringify(withTargetPort(targetPort))) as KubernetesObject);
            assert.throws(() => checkers.crds.validate(JSON.parse(JSON.stringify(withTargetPort(true))) as KubernetesObject), /targetPort/);
            checkers.crds.validate({ ...monitor, spec: { ...monitor.spec, jobLabel: null } });
        });

        it("a kind without any schema: an unknown group, a built-in beta the cluster does not serve, a CRD's unknown version, a run-time CRD's kind is let through unchecked", () => {
            assert.match(
                problemsOf({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }),
                /no schema for example\.com\/v1 Widget \(no CRD defines the example\.com group\)/,
            );
            assert.match(problemsOf({ apiVersion: "policy/v1beta1", kind: "PodDisruptionBudget", metadata: { name: "p" } }), /no schema .*GA versions only/);
            assert.match(
                problemsOf({ apiVersion: "monitoring.coreos.com/v2", kind: "PodMonitor", metadata: { name: "m" } }),
                /no schema .*define no PodMonitor/,
            );
            assert.deepEqual(verdict({ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name: "c" } }, checkers), {
                problems: [],
                unchecked: true,
            });
        });
    });
});

describe("the schema loaders (no helm needed)", () => {
    let models: ReadonlyMap<string, Validator>;
    before(async () => {
        models = await loadSchemas();
    });

    it("find every kind in the model packages, Kubernetes' own at their GA versions only", () => {
        for (const kind of [
            "batch/v1/CronJob",
            "autoscaling/v2/HorizontalPodAutoscaler",
            "networking.istio.io/v1alpha3/EnvoyFilter",
            "monitoring.coreos.com/v1alpha1/ScrapeConfig",
        ]) {
            assert.ok(models.has(kind), kind);
        }
        for (const kind of ["extensions/v1beta1/Deployment", "policy/v1beta1/PodDisruptionBudget", "v1/PodSpec"]) assert.ok(!models.has(kind), kind);
        assert.ok(models.size > 150, `${models.size} kinds`);
    });

    it("let a Prometheus' volumeClaimTemplate go without apiVersion and kind (a model generator artifact), and catch the rest", () => {
        const prometheus = {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "Prometheus",
            metadata: { name: "p" },
            spec: { storage: { volumeClaimTemplate: { spec: { storageClassName: "standard" } } } },
        };
        validateObject(models, prometheus);
        assert.throws(() => validateObject(models, { ...prometheus, spec: { ...prometheus.spec, replicas: "two" } }), /\/spec\/replicas must be integer/);
        assert.throws(
            () =>
                validateObject(models, {
                    ...prometheus,
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "Prometheus",
                    metadata: { name: 3 },
                } as unknown as KubernetesObject),
            /metadata\/name/,
        );
    });

    it("read a CRD pattern as Go does: (?i) folds the case of the rest of its group only", () => {
        const matches = (pattern: string, value: string) => new RegExp(fromGoPattern(pattern), "u").test(value);
        assert.ok(matches("^(?i)(abort|warn)?$", "Abort") && matches("^(?i)(abort|warn)?$", ""));
        assert.ok(!matches("^(?i)(abort|warn)?$", "retry"));
        const weekdays = "^((?i)sun|mon)day(?::(sun|mon)day)?$";
        assert.ok(matches(weekdays, "SUNday:monday"));
        assert.ok(!matches(weekdays, "sunDAY") && !matches(weekdays, "sunday:Monday"));
        assert.equal(fromGoPattern("^[a-z]\\d(?:x|y)$"), "^[a-z]\\d(?:x|y)$");
        assert.throws(() => fromGoPattern("(?i)[a-z]"), /not translated/);
    });
});
