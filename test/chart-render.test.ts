import { strict as assert } from "assert";
import { CHARTS } from "../components/helm-charts";
import { declaredReleases, renderReleases } from "../render/chart-releases";
import { chartDirs } from "../render/helm";
import { PROJECT_ROOT } from "./fixtures";
import { helmOrSkip, kubeVersionOf, RENDERED_STACKS, RenderedStack, renderedPlatform } from "./support/platform-render";

describe("every Helm release, rendered by the real Helm from the pinned charts", function () {
    this.timeout(300_000);
    let helm: string;
    before(function () {
        helm = helmOrSkip(this);
    });

    for (const stack of Object.keys(RENDERED_STACKS) as RenderedStack[]) {
        it(`${stack}: every release the program declares renders, with the CRDs the platform installs`, async () => {
            const platform = await renderedPlatform(stack, helm);
            const declared = declaredReleases(platform.evaluation.resources);
            const errors = platform.charts.failed.map(({ release, error }) => `${release.name} (${release.source.chart} ${release.source.version}): ${error}`);
            assert.deepEqual(errors, [], errors.join("\n\n"));
            assert.deepEqual(
                platform.charts.rendered.map(({ release }) => release.name),
                declared.map((release) => release.name),
            );
            const objects = platform.charts.rendered.reduce((sum, { objects: releaseObjects }) => sum + releaseObjects.length, 0);
            console.log(`      ${stack}: ${declared.length} releases rendered by helm, 0 errors, ${objects} objects, ${platform.charts.crdApiVersions.length / 2} CRD versions as --api-versions`);
            // Every pinned chart but the ones this stack leaves off is exercised.
            assert.ok(declared.length >= Object.keys(CHARTS).length - 1, `${declared.length} releases`);
        });
    }

    it("a value the chart cannot render fails the render (the check can fail)", async () => {
        const platform = await renderedPlatform("dev", helm);
        const tempo = declaredReleases(platform.evaluation.resources).find((release) => release.name === "tempo");
        assert.ok(tempo, "the dev stack declares tempo");
        // The defect this suite found first: a receiver set to null, which the chart's _ports.tpl dereferences.
        const broken = { ...tempo, values: { tempo: { receivers: { jaeger: null } } } };
        const result = renderReleases([broken], { helm, chartDirs: chartDirs(PROJECT_ROOT), kubeVersion: kubeVersionOf(platform.config) });
        assert.equal(result.rendered.length, 0);
        assert.match(result.failed[0]?.error ?? "", /nil pointer/);
    });
});
