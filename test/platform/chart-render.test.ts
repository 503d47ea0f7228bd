import { strict as assert } from "assert";
import { CHARTS } from "../../components/shared/helm-charts";
import { declaredReleases, kubeVersionOf, renderReleases } from "../../render/chart-releases";
import { chartDirs } from "../../render/helm";
import { PROJECT_ROOT } from "../fixtures";
import { firstInstallProblems } from "../support/install-order";
import { RENDERED_STACK_NAMES, renderedSuite } from "../support/platform-render";

describe("every Helm release, rendered by the real Helm from the pinned charts", function () {
    const rendered = renderedSuite(this);

    for (const stack of RENDERED_STACK_NAMES) {
        it(`${stack}: every release the program declares renders, with the CRDs the platform installs`, async () => {
            const platform = await rendered.platform(stack);
            const declared = declaredReleases(platform.evaluation.resources);
            const errors = platform.charts.failed.map(({ release, error }) => `${release.name} (${release.source.chart} ${release.source.version}): ${error}`);
            assert.deepEqual(errors, [], errors.join("\n\n"));
            assert.deepEqual(
                platform.charts.rendered.map(({ release }) => release.name),
                declared.map((release) => release.name),
            );
            const objects = platform.charts.rendered.reduce((sum, { objects: releaseObjects }) => sum + releaseObjects.length, 0);
            console.log(
                `      ${stack}: ${declared.length} releases rendered by helm, 0 errors, ${objects} objects, ${platform.charts.crdApiVersions.filter((entry) => entry.split("/").length === 3).length} CRD kind versions as --api-versions`,
            );
            // Every pinned chart but the ones this stack leaves off is exercised.
            assert.ok(declared.length >= Object.keys(CHARTS).length - 1, `${declared.length} releases`);
        });
    }

    for (const stack of RENDERED_STACK_NAMES) {
        it(`${stack}: each release renders the same objects on its first install (only the CRDs it waits for) as on every later up`, async () => {
            const platform = await rendered.platform(stack);
            const problems = firstInstallProblems(platform, rendered.helm());
            assert.deepEqual(problems, []);
        });
    }

    it("a release that does not wait for the release shipping a CRD it renders against is caught", async () => {
        const platform = await rendered.platform("dev");
        // Loki's ServiceMonitor needs monitoring.coreos.com: without its wait on kube-prometheus-stack, its first install fails.
        const resources = platform.evaluation.resources.map((resource) =>
            resource.name === "loki" ? { ...resource, dependsOn: resource.dependsOn.filter((name) => name !== "kube-prometheus-stack") } : resource,
        );
        const unordered = { ...platform, evaluation: { ...platform.evaluation, resources } };
        const problems = firstInstallProblems(unordered, rendered.helm());
        assert.deepEqual(problems, [{ release: "loki", differences: ["no CRD yet for monitoring.coreos.com/ServiceMonitor"] }]);
        // The same for the program's own objects: the mesh policy without its wait on istio-base.
        const policy = platform.evaluation.resources.map((resource) =>
            resource.name === "istio-mesh-policy" ? { ...resource, dependsOn: resource.dependsOn.filter((name) => name !== "istio-base") } : resource,
        );
        const early = firstInstallProblems({ ...platform, evaluation: { ...platform.evaluation, resources: policy } }, rendered.helm());
        assert.ok(
            early.some(
                (problem) => problem.release === "istio-mesh-policy" && problem.differences.includes("no CRD yet for security.istio.io/PeerAuthentication"),
            ),
            JSON.stringify(early),
        );
    });

    it("a value the chart cannot render fails the render (the check can fail)", async () => {
        const platform = await rendered.platform("dev");
        const tempo = declaredReleases(platform.evaluation.resources).find((release) => release.name === "tempo");
        assert.ok(tempo, "the dev stack declares tempo");
        // The defect this suite found first: a receiver set to null, which the chart's _ports.tpl dereferences.
        const broken = { ...tempo, values: { tempo: { receivers: { jaeger: null } } } };
        const result = renderReleases([broken], { helm: rendered.helm(), chartDirs: chartDirs(PROJECT_ROOT), kubeVersion: kubeVersionOf(platform.config) });
        assert.equal(result.rendered.length, 0);
        assert.match(result.failed[0]?.error ?? "", /nil pointer/);
    });
});
