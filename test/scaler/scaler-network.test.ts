import { strict as assert } from "assert";
import { parse } from "yaml";
import { CLOUD_CONFIG_FILES, CLUSTER_AUTOSCALER, SCALER } from "../../components/autoscaling/autoscaler-values";
import { KubernetesObject, listAt, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { autoscalerNetworkPolicies } from "../../components/autoscaling/scaler-objects";
import { ClusterModel, clusterModel, selects } from "../support/cluster-model";
import { ContainerPort, Pod } from "../support/cluster-pods";
import { loadSchemas, validateObject } from "../support/kubernetes-schemas";
import { PlacedObject, PROGRAM_SOURCE, RenderedPlatform, renderedSuite } from "../support/platform-render";
import { checkScrapes, networkPolicyAllows } from "../support/wiring-scrapes";

/** Who may open which port of a pod: every modelled pod of the cluster against each of its ports. */
function admitted(model: ClusterModel, pod: Pod): string[] {
    return model.pods
        .flatMap((peer) => pod.ports.filter((port) => networkPolicyAllows(model, pod, peer, port, "Ingress")).map((port) => `${peer.owner} -> ${port.port}`))
        .sort();
}

function podOf(model: ClusterModel, owner: string): Pod {
    const pod = model.pods.find((candidate) => candidate.owner === owner);
    assert.ok(pod, `${owner} is modelled`);
    return pod;
}

/** The autoscaler's Deployment as its chart renders it (labels and all), not as our constants say. */
function autoscalerOwner(objects: readonly PlacedObject[]): string {
    const deployments = objects.filter(({ source, object }) => source === CLUSTER_AUTOSCALER.release && object.kind === "Deployment");
    assert.equal(deployments.length, 1);
    return objectId(deployments[0].object);
}

/** The port the autoscaler dials, read from the cloud-config it mounts: Service, then the pod's container port. */
function dialledPort(model: ClusterModel, objects: readonly PlacedObject[], scaler: Pod): ContainerPort {
    const configMap = objects.find(
        ({ source, object }) => source === PROGRAM_SOURCE && object.kind === "ConfigMap" && object.metadata.name === CLUSTER_AUTOSCALER.configMap,
    )?.object;
    const address = String((parse(String(isRecord(configMap?.data) ? configMap.data[CLOUD_CONFIG_FILES.config] : "")) as { address: string }).address);
    const [host, port] = address.split(":");
    const [serviceName, namespace] = host.split(".");
    const service = model.services.find((candidate) => candidate.metadata.name === serviceName && candidate.metadata.namespace === namespace);
    assert.ok(service, `${address}: a rendered Service`);
    assert.ok(
        selects({ matchLabels: service.spec && isRecord(service.spec) ? service.spec.selector : {} }, scaler.labels),
        `${objectId(service)} selects the scaler`,
    );
    const servicePort = listAt(service.spec, "ports")
        .filter(isRecord)
        .find((candidate) => candidate.port === Number(port));
    const target = scaler.ports.find((candidate) => candidate.name === servicePort?.targetPort || candidate.port === servicePort?.targetPort);
    assert.ok(target, `${address}: the Service's port reaches a container port`);
    return target;
}

/** The platform's objects with the NetworkPolicies edited (or one dropped). */
function withPolicies(platform: RenderedPlatform, edit: (policy: KubernetesObject) => KubernetesObject | undefined): PlacedObject[] {
    return platform.objects.flatMap((placed) => {
        if (placed.object.kind !== "NetworkPolicy" || placed.object.metadata.namespace !== SCALER.namespace) return [placed];
        const result = edit(JSON.parse(JSON.stringify(placed.object)) as KubernetesObject);
        return result ? [{ ...placed, object: result }] : [];
    });
}

describe("the autoscaler namespace's NetworkPolicies, on the rendered platform (issue 14, item 6)", function () {
    const rendered = renderedSuite(this);
    let platform: RenderedPlatform;
    let model: ClusterModel;
    const modelOf = (objects: readonly PlacedObject[]) => clusterModel(objects, platform.evaluation.resources, platform.evaluation.artifacts);
    before(async () => {
        platform = await rendered.platform("dev");
        model = modelOf(platform.objects);
    });

    it("admit exactly the autoscaler to the scaler's gRPC port and Prometheus to the metrics ports; every pod there is under a policy", () => {
        const prometheus = model.pods.find((pod) => pod.owner.startsWith("prometheus-operator: Prometheus/"))?.owner ?? "(no Prometheus)";
        const autoscaler = autoscalerOwner(platform.objects);
        assert.deepEqual(
            admitted(model, podOf(model, `Deployment/${SCALER.namespace}/${SCALER.name}`)),
            [`${autoscaler} -> ${SCALER.grpcPort}`, `${prometheus} -> ${SCALER.httpPort}`].sort(),
        );
        assert.deepEqual(admitted(model, podOf(model, autoscaler)), [`${prometheus} -> ${CLUSTER_AUTOSCALER.metricsPort}`]);
        const policies = model.objects.filter((object) => object.kind === "NetworkPolicy" && object.metadata.namespace === SCALER.namespace);
        const uncovered = model.pods.filter(
            (pod) => pod.namespace === SCALER.namespace && !policies.some((policy) => isRecord(policy.spec) && selects(policy.spec.podSelector, pod.labels)),
        );
        assert.deepEqual(
            uncovered.map((pod) => pod.owner),
            [],
        );
    });

    it("the autoscaler's call reaches the scaler: its cloud-config address, the Service, the container port, and both sides' policies", () => {
        const scaler = podOf(model, `Deployment/${SCALER.namespace}/${SCALER.name}`);
        const autoscaler = podOf(model, autoscalerOwner(platform.objects));
        const port = dialledPort(model, platform.objects, scaler);
        assert.equal(port.port, SCALER.grpcPort);
        assert.ok(networkPolicyAllows(model, scaler, autoscaler, port, "Ingress"), "the scaler lets the autoscaler in");
        assert.ok(networkPolicyAllows(model, autoscaler, scaler, port, "Egress"), "the autoscaler may call out");
        assert.deepEqual(checkScrapes(model, platform.evaluation.resources).problems, [], "and Prometheus still scrapes everything");
    });

    it("each way the path breaks is caught: the scaler's allowance dropped, the chart's pod labels changed", () => {
        const dropped = modelOf(withPolicies(platform, (policy) => (policy.metadata.name === SCALER.name ? undefined : policy)));
        const scaler = podOf(dropped, `Deployment/${SCALER.namespace}/${SCALER.name}`);
        assert.ok(
            !networkPolicyAllows(dropped, scaler, podOf(dropped, autoscalerOwner(platform.objects)), dialledPort(dropped, platform.objects, scaler), "Ingress"),
        );
        assert.match(
            checkScrapes(dropped, platform.evaluation.resources).problems.join("\n"),
            /ServiceMonitor\/autoscaler\/scaler -> .*:9464: no NetworkPolicy lets Prometheus in/,
        );
        const relabelled = platform.objects.map((placed) => {
            if (placed.source !== CLUSTER_AUTOSCALER.release || placed.object.kind !== "Deployment") return placed;
            const copy = JSON.parse(JSON.stringify(placed.object)) as { spec: { template: { metadata: { labels: Record<string, string> } } } };
            copy.spec.template.metadata.labels["app.kubernetes.io/name"] = "cluster-autoscaler";
            return { ...placed, object: copy as unknown as KubernetesObject };
        });
        const moved = modelOf(relabelled);
        const movedScaler = podOf(moved, `Deployment/${SCALER.namespace}/${SCALER.name}`);
        assert.ok(!networkPolicyAllows(moved, movedScaler, podOf(moved, autoscalerOwner(relabelled)), dialledPort(moved, relabelled, movedScaler), "Ingress"));
    });

    it("validate against the Kubernetes schemas (kubernetes-models)", async () => {
        const schemas = await loadSchemas();
        const policies = autoscalerNetworkPolicies();
        assert.deepEqual(
            policies.map((policy) => policy.metadata.name),
            ["default-deny-ingress", SCALER.name, CLUSTER_AUTOSCALER.release],
        );
        for (const policy of policies) validateObject(schemas, policy);
        assert.throws(
            () => validateObject(schemas, { ...policies[0], spec: { podSelector: "everything" } }),
            /podSelector|must be object/,
            "the check can fail",
        );
    });
});
