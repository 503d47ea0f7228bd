import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CHARTS } from "../../components/shared/helm-charts";
import { crdApiVersions } from "../../render/chart-releases";
import { pullArguments } from "../../render/charts-pull";
import { chartArchiveName, findChartArchive, findHelm, HELM_INSTALL_DIR, HELM_VERSION, parseManifests } from "../../render/helm";
import { PROJECT_ROOT } from "../fixtures";

describe("the Helm harness's own logic (no helm needed)", () => {
    it("pulls each pinned chart from its repository, an OCI chart by reference", () => {
        assert.deepEqual(pullArguments(CHARTS.loki, ".charts"), [
            "pull",
            "loki",
            "--repo",
            "https://grafana-community.github.io/helm-charts",
            "--version",
            "18.11.0",
            "--destination",
            ".charts",
        ]);
        assert.deepEqual(pullArguments(CHARTS.onlineBoutique, ".charts"), [
            "pull",
            "oci://us-docker.pkg.dev/online-boutique-ci/charts/onlineboutique",
            "--version",
            "0.10.6",
            "--destination",
            ".charts",
        ]);
    });

    it("finds a chart's archive under helm pull's file name, in the first folder that has it", () => {
        const [first, second] = [fs.mkdtempSync(path.join(os.tmpdir(), "charts-")), fs.mkdtempSync(path.join(os.tmpdir(), "charts-"))];
        fs.writeFileSync(path.join(second, "tempo-2.2.4.tgz"), "");
        assert.equal(chartArchiveName(CHARTS.tempo), "tempo-2.2.4.tgz");
        assert.equal(findChartArchive(CHARTS.tempo, [first, second]), path.join(second, "tempo-2.2.4.tgz"));
        assert.equal(findChartArchive({ chart: "tempo", version: "2.2.5" }, [first, second]), undefined);
    });

    it("takes $HELM first, else the binary .ci/install-helm installed into the project", () => {
        assert.equal(findHelm("/nowhere", { HELM: "/opt/helm" }), "/opt/helm");
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "project-"));
        fs.mkdirSync(path.join(project, HELM_INSTALL_DIR), { recursive: true });
        fs.writeFileSync(path.join(project, HELM_INSTALL_DIR, "helm"), "");
        assert.equal(findHelm(project, {}), path.join(project, HELM_INSTALL_DIR, "helm"));
    });

    it("looks for helm where .ci/install-helm puts it, at the version it installs (the script pins it on its own)", () => {
        const script = fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "install-helm"), "utf8");
        assert.equal(/^readonly HELM_VERSION='([^']+)'$/m.exec(script)?.[1], HELM_VERSION);
        assert.ok(script.includes('dir="${1:-${root}/.tools/helm-v${HELM_VERSION}}"'), "install-helm's default folder");
        assert.equal(HELM_INSTALL_DIR, path.join(".tools", `helm-v${HELM_VERSION}`));
    });

    it("reads helm's output as Kubernetes does: a quoted scalar continued at its key's indent (Flagger's CRDs), empty documents dropped", () => {
        const text = "---\n# Source: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  description: 'one line\n  continued'\n";
        assert.deepEqual(parseManifests(text), [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { description: "one line continued" } }]);
    });

    it("passes each served CRD version as group/version and group/version/Kind", () => {
        const crd = {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "canaries.flagger.app" },
            spec: {
                group: "flagger.app",
                scope: "Namespaced",
                names: { kind: "Canary" },
                versions: [
                    { name: "v1beta1", served: true },
                    { name: "v1alpha3", served: false },
                ],
            },
        };
        assert.deepEqual(crdApiVersions([crd]), ["flagger.app/v1beta1", "flagger.app/v1beta1/Canary"]);
    });
});
