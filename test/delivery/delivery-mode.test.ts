import { strict as assert } from "assert";
import { shopChartTransforms } from "../../components/delivery/online-boutique";
import { frontendDelivery } from "../../components/delivery/progressive-delivery";
import { diffEvaluations, formatDiff } from "../../render/diff";
import { resourceKey } from "../../render/evaluate";
import { Evaluation } from "../../render/evaluation";
import { dig } from "../fixtures";
import { evaluateDev, manifestObjects, ofType } from "../support/program";

/** The shop delivered by the program (the default) or by Argo CD, and switching between the two (mock runtime). */

const ARGOCD = { boutiqueDeliveredBy: "argocd", gitopsRepoUrl: "https://gitlab.example.com/shop/deploy.git", gitopsRevision: "main" };
const CHART = "kubernetes:helm.sh/v4:Chart";
const byName = (evaluation: Evaluation, name: string) => evaluation.resources.find((resource) => resource.name === name);

describe("who delivers the shop: the program or Argo CD, and the switch between them", function () {
    this.timeout(180_000);
    let pulumiMode: Evaluation;
    let argoMode: Evaluation;
    before(async () => {
        pulumiMode = await evaluateDev();
        argoMode = await evaluateDev(ARGOCD);
    });

    it("by default the program applies the chart, its objects kept on removal, through a provider that adopts what exists", () => {
        const [chart] = ofType(pulumiMode, CHART);
        assert.equal(pulumiMode.deleteLinks?.get(chart.name)?.retained, true);
        assert.equal(dig(byName(pulumiMode, "boutique-adopting")?.inputs, "upsertExistingObjects"), "true");
        assert.equal(ofType(pulumiMode, "kubernetes:helm.sh/v3:Release").filter((release) => release.name === "argocd").length, 0);
    });

    it("each of the chart's objects goes through the Flagger fixes and is kept on removal (the transforms the chart is given, applied in order)", async () => {
        const opts = { dependsOn: [], ignoreChanges: ["spec"] };
        let child: { props: Record<string, unknown>; opts: Record<string, unknown> } = {
            props: { apiVersion: "v1", kind: "Service", metadata: { name: "frontend" }, spec: { selector: { app: "frontend" } } },
            opts,
        };
        for (const transform of shopChartTransforms({ ...frontendDelivery("boutique"), images: {} })) {
            const result = await transform({ type: "kubernetes:core/v1:Service", name: "frontend", custom: true, ...child });
            if (result) child = { props: result.props, opts: { ...result.opts } };
        }
        assert.equal(dig(child.props, "spec", "selector", "app"), "frontend-primary", "the Flagger fix");
        assert.deepEqual(child.opts, { ...opts, retainOnDelete: true }, "kept on removal, the other options untouched");
    });

    it("with Argo CD, no chart: the same namespace, Argo CD, its Application on the configured source, and the Canary after it", () => {
        assert.equal(ofType(argoMode, CHART).length, 0);
        const namespace = (evaluation: Evaluation) =>
            manifestObjects(evaluation).find((object) => object.kind === "Namespace" && object.metadata.name === "boutique");
        assert.deepEqual(namespace(argoMode), namespace(pulumiMode));
        const application = manifestObjects(argoMode).find((object) => object.kind === "Application");
        assert.deepEqual(dig(application, "spec", "source"), { repoURL: ARGOCD.gitopsRepoUrl, targetRevision: "main", path: "gitops/online-boutique" });
        assert.equal(dig(application, "metadata", "finalizers"), undefined, "deleting the Application leaves the shop running");
        const canary = byName(argoMode, "delivery-frontend-canary");
        assert.ok(canary?.dependsOn.includes("gitops-application"), `the Canary waits for the Application (${canary?.dependsOn.join(", ")})`);
        assert.equal(argoMode.stackOutputs.argocdAdminPassword, "[secret]");
        assert.equal(argoMode.stackOutputs.argocdPortForward, "kubectl -n argocd port-forward svc/argocd-server 8080:80");
        assert.equal(pulumiMode.stackOutputs.argocdPortForward, undefined);
    });

    it("render --diff of the switch to Argo CD: Pulumi releases the chart (left running) and deletes nothing", () => {
        const diff = diffEvaluations(pulumiMode, argoMode);
        console.log(formatDiff(diff).replace(/^/gm, "      "));
        assert.deepEqual(
            diff.deleted.filter((resource) => !resource.retained),
            [],
            "nothing deleted",
        );
        assert.deepEqual(
            diff.deleted.map((resource) => [resource.type, resource.name]),
            [[CHART, "onlineboutique"]],
        );
        assert.match(formatDiff(diff), /^\d+ to create, 0 to delete, 1 to release, 0 to change$/m);
        assert.ok(diff.created.some((resource) => resource.name === "argocd"));
        const unchanged = [pulumiMode, argoMode].map((evaluation) =>
            evaluation.comparableInputs.get(resourceKey({ type: "kubernetes:core/v1:Namespace", name: "boutique-namespace" })),
        );
        assert.ok(unchanged[0] !== undefined, "the shop's namespace is declared");
        assert.deepEqual(unchanged[0], unchanged[1], "the shop's namespace is untouched");
    });

    it("and back: Argo CD and its Application go (no finalizer: the shop stays), the chart is declared again and adopts the running objects", () => {
        const diff = diffEvaluations(argoMode, pulumiMode);
        assert.deepEqual(
            diff.created.map((resource) => resource.name),
            ["onlineboutique"],
        );
        const deleted = diff.deleted.map((resource) => resource.name).sort();
        assert.deepEqual(deleted, [
            "argocd",
            "argocd-namespace",
            "gitops",
            "gitops-admin-login",
            "gitops-admin-password",
            "gitops-alerts",
            "gitops-application",
            "gitops-network-policies",
        ]);
    });
});
