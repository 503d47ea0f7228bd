import { strict as assert } from "assert";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { Evaluation } from "../../render/evaluation";
import { FLAGGER_CRDS, loadFlaggerSchemas, validateFlaggerObject } from "../support/flagger-schemas";
import { loadSchemas, validateObject, Validator, withRedactedMaps } from "../support/kubernetes-schemas";
import { evaluateDev, manifestObjects } from "../support/program";

/** Every object in the rendered manifests, a redacted map standing in as a map of one string. */
const renderedObjects = (evaluation: Evaluation): KubernetesObject[] => manifestObjects(evaluation).map(withRedactedMaps);

describe("every Kubernetes object the program applies (dev stack)", function () {
    this.timeout(120_000);
    let schemas: ReadonlyMap<string, Validator>;
    const objects: KubernetesObject[] = [];
    before(async () => {
        schemas = await loadSchemas();
        const stacks: Record<string, string>[] = [{}, { storageProvider: "local-path", lokiNodeCount: "3" }];
        for (const overrides of stacks) objects.push(...renderedObjects(await evaluateDev(overrides)));
    });

    it("validates against its real schema: Kubernetes, Istio, Prometheus operator, found by apiVersion and kind in the model packages (a kind without one fails)", () => {
        assert.ok(objects.length > 40, `${objects.length} objects`);
        for (const object of objects.filter((o) => !o.apiVersion.startsWith("flagger.app/"))) {
            try {
                validateObject(schemas, object);
            } catch (error) {
                assert.fail(`${objectId(object)}: ${(error as Error).message}`);
            }
        }
    });

    it("Flagger's objects (Canary, MetricTemplates) validate against Flagger's CRD schemas", function () {
        const flagger = loadFlaggerSchemas();
        if (!flagger) {
            console.log(`      skipped: ${FLAGGER_CRDS} is not here (a clone without ../shared)`);
            this.skip();
        }
        const flaggerObjects = objects.filter((o) => o.apiVersion.startsWith("flagger.app/"));
        assert.deepEqual([...new Set(flaggerObjects.map((o) => o.kind))].sort(), ["Canary", "MetricTemplate"]);
        for (const object of flaggerObjects) validateFlaggerObject(flagger, object);
    });

    it("includes the mesh policy, the Istio monitors and the alert rules", () => {
        const kinds = new Set(objects.map((object) => `${object.apiVersion}/${object.kind}`));
        for (const kind of [
            "security.istio.io/v1/PeerAuthentication",
            "telemetry.istio.io/v1/Telemetry",
            "monitoring.coreos.com/v1/PodMonitor",
            "monitoring.coreos.com/v1/ServiceMonitor",
            "monitoring.coreos.com/v1/PrometheusRule",
        ]) {
            assert.ok(kinds.has(kind), kind);
        }
    });

    it("the schemas reject a broken object (the check can fail)", () => {
        const broken = {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "istio-system" },
            spec: { mtls: { mode: "SOMETIMES" } },
        };
        assert.throws(() => validateObject(schemas, broken), /mode/);
        assert.throws(() => validateObject(schemas, { apiVersion: "example.com/v1", kind: "Unknown", metadata: { name: "x" } }), /no schema/);
    });
});
