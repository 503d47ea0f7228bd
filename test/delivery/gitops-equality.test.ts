import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { transformBoutiqueObject } from "../../components/delivery/boutique-transforms";
import { BOUTIQUE_NAMESPACE, BOUTIQUE_RELEASE } from "../../components/delivery/online-boutique";
import { frontendDelivery } from "../../components/delivery/progressive-delivery";
import { CHARTS } from "../../components/shared/helm-charts";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { declaredReleases, kubeVersionOf, programTransform, renderReleases } from "../../render/chart-releases";
import { chartDirs, findChartArchive } from "../../render/helm";
import { kustomizeBuild } from "../../render/kustomize";
import { devConfig, dig, PROJECT_ROOT } from "../fixtures";
import { setServiceImage } from "../../release/image-entry";
import { evaluateDev, manifestObjects } from "../support/program";
import { diffEvaluations } from "../../render/diff";
import { releasedChartObjects } from "../../render/chart-files";
import { skipOrFail } from "../support/tools";
import { RenderTools, renderToolsOrSkip } from "../support/platform-render";
import { differingObjects, withoutOwnership } from "../support/object-compare";
import { buildGitPath, writeGitPath } from "../support/git-path";

/**
 * The shop is the same either way: the objects Argo CD would apply (the Git path `npm run render`
 * writes, built by the real kustomize with Helm 3, as Argo CD's repo-server builds it) equal,
 * object by object, the ones the program applies by default (the chart rendered by the real Helm
 * with the program's values, through the program's transforms). Only what names the applier
 * differs (pulumi.com/* annotations).
 */

type Transform = (object: KubernetesObject) => KubernetesObject;

interface Tools extends RenderTools {
    readonly archive: string;
}

/** The rendered platform's tools (helm, kustomize and Helm 3), and the shop's chart archive. */
function toolsOrSkip(context: Mocha.Context): Tools {
    const tools = renderToolsOrSkip(context);
    const archive = findChartArchive(CHARTS.onlineBoutique, chartDirs(PROJECT_ROOT));
    if (!archive) skipOrFail(context, `the onlineboutique chart is in none of ${chartDirs(PROJECT_ROOT).join(", ")} (npm run charts:pull)`);
    return { ...tools, archive };
}

/** What the program applies in the default mode on `overrides`' dev stack, each object through `transform` (default: the program's own). */
async function appliedByPulumi(tools: Tools, overrides: Record<string, string>, transform?: Transform): Promise<KubernetesObject[]> {
    const config = devConfig(overrides);
    const evaluation = await evaluateDev(overrides);
    const release = declaredReleases(evaluation.resources).find((declared) => declared.name === BOUTIQUE_RELEASE);
    assert.ok(release, "the default mode declares the onlineboutique chart");
    const result = renderReleases([release], {
        helm: tools.helm,
        chartDirs: chartDirs(PROJECT_ROOT),
        kubeVersion: kubeVersionOf(config),
        // The program's own rewrites, as render --charts and the rendered platform apply them.
        transform: transform ? (_release, object) => transform(object) : programTransform(config),
    });
    assert.deepEqual(result.failed, []);
    return [...result.rendered[0].objects];
}

/** The Git path `render` writes for `overrides`' dev stack, in a scratch folder (support/git-path.ts). */
async function gitPath(tools: Tools, overrides: Record<string, string>): Promise<string> {
    return writeGitPath(await evaluateDev(overrides), tools.archive);
}

describe("the shop either way: Argo CD's Git path and the program's chart (real kustomize, Helm 3 and Helm 4)", function () {
    this.timeout(300_000);
    let tools: Tools;
    const dirs: string[] = [];
    before(function () {
        tools = toolsOrSkip(this);
    });
    after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
    const built = async (overrides: Record<string, string>) => {
        const dir = await gitPath(tools, overrides);
        dirs.push(dir);
        return buildGitPath(tools.kustomize, dir);
    };

    const STACKS: Record<string, Record<string, string>> = {
        dev: {},
        "forked images, no loadgenerator": {
            boutiqueImages: JSON.stringify({
                frontend: `registry.example.com/shop/frontend@sha256:${"ab".repeat(32)}`,
                adservice: "registry.example.com/shop/ads:2.1.0",
            }),
            boutiqueLoadGenerator: "false",
        },
    };
    for (const [name, overrides] of Object.entries(STACKS)) {
        it(`${name}: the same objects, object by object (ownership annotations aside)`, async () => {
            const pulumi = await appliedByPulumi(tools, overrides);
            const argo = await built(overrides);
            console.log(`      ${name}: ${pulumi.length} objects applied by Pulumi, ${argo.length} by Argo CD`);
            assert.ok(pulumi.length >= 60, `the chart renders the whole shop (${pulumi.length} objects)`);
            assert.deepEqual(differingObjects(pulumi.map(withoutOwnership), argo.map(withoutOwnership)), []);
        });
    }

    it("the images: each service runs what boutiqueImages names, the others the chart's own", async () => {
        const argo = await built(STACKS["forked images, no loadgenerator"]);
        const image = (name: string) => {
            const deployment = argo.find((object) => object.kind === "Deployment" && object.metadata.name === name) as
                { spec: { template: { spec: { containers: { name: string; image: string }[] } } } } | undefined;
            return deployment?.spec.template.spec.containers.find((container) => container.name === "server")?.image;
        };
        assert.equal(image("frontend"), `registry.example.com/shop/frontend@sha256:${"ab".repeat(32)}`);
        assert.equal(image("adservice"), "registry.example.com/shop/ads:2.1.0");
        assert.equal(image("cartservice"), "us-central1-docker.pkg.dev/google-samples/microservices-demo/cartservice:v0.10.6");
        assert.equal(image("loadgenerator"), undefined);
    });

    it("a release (the release job's edit of kustomization.yaml) is what Argo CD then runs: the new frontend, every other object unchanged", async () => {
        const dir = await gitPath(tools, {});
        dirs.push(dir);
        const before = buildGitPath(tools.kustomize, dir);
        const file = path.join(dir, "kustomization.yaml");
        const image = `registry.example.com/shop/frontend@sha256:${"cd".repeat(32)}`;
        const edit = setServiceImage(fs.readFileSync(file, "utf8"), "frontend", image);
        assert.equal(edit.kind, "changed");
        if (edit.kind === "changed") fs.writeFileSync(file, edit.text);
        const after = buildGitPath(tools.kustomize, dir);
        assert.deepEqual(differingObjects(before, after), ["Deployment/boutique/frontend"]);
        const frontend = after.find((object) => object.kind === "Deployment" && object.metadata.name === "frontend");
        assert.equal(dig(frontend, "spec", "template", "spec", "containers", 0, "image"), image);
    });

    const ARGOCD = { boutiqueDeliveredBy: "argocd", gitopsRepoUrl: "https://gitlab.example.com/shop/deploy.git" };

    it("the switch hands over exactly the shop: what Pulumi releases (render --diff --charts) is what Argo CD applies, and it deletes nothing", async () => {
        const [before, after] = [await evaluateDev(), await evaluateDev(ARGOCD)];
        const diff = diffEvaluations(before, after);
        assert.deepEqual(
            diff.deleted.filter((resource) => !resource.retained),
            [],
        );
        const released = releasedChartObjects(PROJECT_ROOT, before, diff.deleted, devConfig());
        const fromGit = (await built(ARGOCD)).map(objectId).sort();
        console.log(`      released by Pulumi: ${[...released.values()].flat().length} objects; applied by Argo CD: ${fromGit.length}`);
        assert.deepEqual([...released.keys()], [BOUTIQUE_RELEASE]);
        assert.deepEqual(released.get(BOUTIQUE_RELEASE), fromGit);
    });

    it("with Argo CD, the program applies none of the objects Argo CD owns", async () => {
        const evaluation = await evaluateDev(ARGOCD);
        const program = new Set(manifestObjects(evaluation).map(objectId));
        const owned = (await built(ARGOCD)).map(objectId);
        assert.ok(program.has("Namespace/boutique") && program.has("Canary/boutique/frontend"), "the program keeps the namespace and the Canary");
        assert.deepEqual(
            owned.filter((id) => program.has(id)),
            [],
        );
    });

    // Each fix the transforms make, undone one at a time: the comparison names exactly the objects it touches.
    const UNDONE: Record<string, { readonly kind: string; readonly expected: readonly string[] }> = {
        "the pod label every selector moved to": {
            kind: "Deployment",
            expected: ["adservice", "cartservice", "checkoutservice", "currencyservice", "emailservice", "frontend"],
        },
        "the NetworkPolicies admitting frontend-primary": { kind: "NetworkPolicy", expected: ["adservice", "cartservice", "checkoutservice", "frontend"] },
        "the frontend AuthorizationPolicy's callers": { kind: "AuthorizationPolicy", expected: ["frontend"] },
        "the Sidecars' collector host": { kind: "Sidecar", expected: ["adservice", "cartservice", "frontend", "redis-cart"] },
        "the apex Service's selector": { kind: "Service", expected: ["frontend"] },
    };
    for (const [fix, { kind, expected }] of Object.entries(UNDONE)) {
        it(`a transform that no longer makes ${fix} fails the comparison, naming its ${kind}s`, async () => {
            const options = { ...frontendDelivery(BOUTIQUE_NAMESPACE), images: {} };
            const without: Transform = (object) => (object.kind === kind ? object : (transformBoutiqueObject({ ...object }, options) as KubernetesObject));
            const pulumi = await appliedByPulumi(tools, {}, without);
            const differing = differingObjects(pulumi.map(withoutOwnership), (await built({})).map(withoutOwnership));
            console.log(`      without ${fix}: ${differing.length} objects differ`);
            for (const name of expected)
                assert.ok(differing.includes(`${kind}/${BOUTIQUE_NAMESPACE}/${name}`), `${kind} ${name} differs (${differing.join(", ")})`);
            assert.ok(
                differing.every((id) => id.startsWith(`${kind}/`)),
                differing.join(", "),
            );
        });
    }

    it("a chart that no longer has what a fix expects fails the build (the patches' test ops), not a half-fixed shop", async () => {
        const dir = await gitPath(tools, {});
        dirs.push(dir);
        const frontend = path.join(dir, "shop", "charts", `onlineboutique-${CHARTS.onlineBoutique.version}`, "onlineboutique", "templates", "frontend.yaml");
        // The chart's frontend Service selecting its pods by another label.
        const text = fs.readFileSync(frontend, "utf8");
        const moved = text.replace(
            /selector:\n(\s+)app: \{\{ \.Values\.frontend\.name \}\}/,
            "selector:\n$1app.kubernetes.io/name: {{ .Values.frontend.name }}",
        );
        assert.notEqual(moved, text, "the chart's frontend Service selects app: frontend");
        fs.writeFileSync(frontend, moved);
        const result = kustomizeBuild(tools.kustomize, dir);
        assert.ok("error" in result, "the build fails");
        console.log(`      kustomize refuses: …${result.error.slice(-160)}`);
        assert.match(result.error, /test/i);
    });
});
