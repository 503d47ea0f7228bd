import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findHelm } from "../../render/helm";
import { findKustomizeTools, HELM3_VERSION, KUBECTL_VERSION, kustomizeBuild } from "../../render/kustomize";
import { PROJECT_ROOT } from "../fixtures";
import { skipOrFail } from "../support/tools";

describe("kustomize as Argo CD runs it (render/kustomize.ts, .ci/install-kustomize)", function () {
    this.timeout(120_000);

    it("looks for the tools where .ci/install-kustomize puts them, at the versions it pins; $KUBECTL and $HELM3 first", () => {
        const script = fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "install-kustomize"), "utf8");
        assert.equal(/^readonly KUBECTL_VERSION='([^']+)'$/m.exec(script)?.[1], KUBECTL_VERSION);
        assert.equal(/^readonly HELM3_VERSION='([^']+)'$/m.exec(script)?.[1], HELM3_VERSION);
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "project-"));
        try {
            assert.equal(findKustomizeTools(project, {}), undefined);
            for (const file of [`.tools/kubectl-v${KUBECTL_VERSION}/kubectl`, `.tools/helm-v${HELM3_VERSION}/helm`]) {
                fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
                fs.writeFileSync(path.join(project, file), "");
            }
            assert.deepEqual(findKustomizeTools(project, {}), {
                kubectl: path.join(project, `.tools/kubectl-v${KUBECTL_VERSION}/kubectl`),
                helm3: path.join(project, `.tools/helm-v${HELM3_VERSION}/helm`),
            });
            assert.equal(findKustomizeTools(project, { KUBECTL: "/nowhere/kubectl" }), undefined);
        } finally {
            fs.rmSync(project, { recursive: true, force: true });
        }
    });

    describe("the real kubectl", () => {
        const dirs: string[] = [];
        after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
        /** A kustomization with one Helm chart (a minimal local one) in a scratch folder. */
        const withChart = () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kustomize-"));
            dirs.push(dir);
            const chart = path.join(dir, "charts", "demo-1.0.0", "demo");
            fs.mkdirSync(path.join(chart, "templates"), { recursive: true });
            fs.writeFileSync(path.join(chart, "Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 1.0.0\n");
            fs.writeFileSync(
                path.join(chart, "templates", "cm.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  k: {{ .Values.k | quote }}\n",
            );
            fs.writeFileSync(path.join(dir, "values.yaml"), "k: v\n");
            fs.writeFileSync(
                path.join(dir, "kustomization.yaml"),
                "helmCharts:\n  - name: demo\n    repo: https://charts.example.com\n    version: 1.0.0\n    releaseName: r\n    valuesFile: values.yaml\nnamespace: shop\n",
            );
            return dir;
        };

        it("builds a kustomization with a Helm chart with Helm 3, and refuses Helm 4 (why .ci/install-kustomize installs Helm 3)", function () {
            const tools = findKustomizeTools(PROJECT_ROOT);
            if (!tools) skipOrFail(this, "kubectl (kustomize) and Helm 3 are not installed (bash .ci/install-kustomize)");
            const built = kustomizeBuild(tools, withChart());
            assert.deepEqual(built, { objects: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "r", namespace: "shop" }, data: { k: "v" } }] });
            const helm4 = findHelm(PROJECT_ROOT);
            if (!helm4) skipOrFail(this, "helm 4 is not installed (bash .ci/install-helm)");
            const refused = kustomizeBuild({ ...tools, helm3: helm4 }, withChart());
            assert.ok("error" in refused);
            console.log(`      with Helm 4: ${/unknown shorthand flag[^:]*: [^\n]{0,60}/.exec(refused.error)?.[0] ?? refused.error.slice(0, 120)}`);
            assert.match(refused.error, /unknown shorthand flag: 'c'/);
        });

        it("reports kustomize's own error for a folder it cannot build", function () {
            const tools = findKustomizeTools(PROJECT_ROOT);
            if (!tools) skipOrFail(this, "kubectl (kustomize) and Helm 3 are not installed (bash .ci/install-kustomize)");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kustomize-"));
            dirs.push(dir);
            const result = kustomizeBuild(tools, dir);
            assert.ok("error" in result);
            assert.match(result.error, /kustomization/i);
        });
    });
});
