import { strict as assert } from "assert";
import { parse, parseAllDocuments } from "yaml";
import { checkUniqueNames } from "../../render/evaluate";
import { RenderedResource } from "../../render/evaluation";
import { kubernetesArtifacts } from "../../render/kubernetes-artifacts";

const resource = (type: string, name: string, inputs: Record<string, unknown>): RenderedResource => ({ type, name, inputs, dependsOn: [] });

const RULE = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "alerts" },
    spec: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up == 0" }] }] },
};

describe("render: Kubernetes artifacts from the recorded inputs", () => {
    it("writes a release's final values under the Helm release name, quoting what YAML 1.1 would retype", () => {
        const files = kubernetesArtifacts([
            resource("kubernetes:helm.sh/v3:Release", "loki-release", { name: "loki", values: { from: "2024-04-01", on: "yes" } }),
        ]);
        assert.deepEqual(Object.keys(files), ["values/loki.yaml"]);
        assert.match(files["values/loki.yaml"], /from: "2024-04-01"/);
        assert.match(files["values/loki.yaml"], /"on": "yes"/);
    });

    it("writes a ConfigGroup's objects as one multi-document manifest, and each PrometheusRule's groups as a rule file", () => {
        const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "monitoring" } };
        const files = kubernetesArtifacts([resource("kubernetes:yaml/v2:ConfigGroup", "monitoring-objects", { objs: [namespace, RULE] })]);
        assert.deepEqual(Object.keys(files).sort(), ["manifests/monitoring-objects.yaml", "rules/alerts.yaml"]);
        assert.deepEqual(
            parseAllDocuments(files["manifests/monitoring-objects.yaml"]).map((doc) => doc.toJS() as unknown),
            [namespace, RULE],
        );
        assert.deepEqual(parse(files["rules/alerts.yaml"]), { groups: RULE.spec.groups });
    });

    it("writes typed objects (Secret, Namespace...) as manifests and ignores everything else", () => {
        const files = kubernetesArtifacts([
            resource("kubernetes:core/v1:Secret", "grafana-admin", { apiVersion: "v1", kind: "Secret", stringData: "[secret]" }),
            resource("kubernetes:pulumi:Provider", "k8s", {}),
            resource("gcp:storage/bucket:Bucket", "bucket", {}),
            resource("boutique:platform:Monitoring", "monitoring", {}),
        ]);
        assert.deepEqual(Object.keys(files), ["manifests/grafana-admin.yaml"]);
        assert.match(files["manifests/grafana-admin.yaml"], /stringData: "\[secret\]"/);
    });

    it("refuses two resources that would write the same file", () => {
        const rule = (name: string) => resource("kubernetes:yaml/v2:ConfigGroup", name, { objs: [RULE] });
        assert.throws(() => kubernetesArtifacts([rule("a"), rule("b")]), /two Kubernetes resources render to rules\/alerts\.yaml/);
    });

    it("refuses two resources with one name: resources.json, the summary and --diff identify them by name", () => {
        const twins = [resource("boutique:platform:Kiali", "kiali", {}), resource("kubernetes:helm.sh/v3:Release", "kiali", {})];
        assert.throws(() => checkUniqueNames(twins), /two resources are named "kiali" \(boutique:platform:Kiali and kubernetes:helm\.sh\/v3:Release\)/);
        assert.doesNotThrow(() => checkUniqueNames([twins[0], resource("kubernetes:helm.sh/v3:Release", "kiali-release", {})]));
    });
});
