import { strict as assert } from "assert";
import { Evaluation } from "../render/evaluation";
import { RenderedResource } from "../render/evaluation";
import { destroyPlan, destroyPlanOf } from "./support/destroy-plan";
import { RENDERED_STACKS } from "./support/platform-render";
import { evaluateDev } from "./support/program";

/** dev as it is, every layer at its largest (local-path), and the same on Persistent Disks. */
const STACKS: Record<string, Record<string, string>> = {
    dev: RENDERED_STACKS.dev,
    "all-layers": RENDERED_STACKS["all-layers"],
    "all-layers on gce-pd": { ...RENDERED_STACKS["all-layers"], storageProvider: "gce-pd" },
};

const evaluations = new Map<string, Promise<Evaluation>>();
const evaluated = (stack: string): Promise<Evaluation> => {
    let found = evaluations.get(stack);
    if (!found) evaluations.set(stack, (found = evaluateDev(STACKS[stack])));
    return found;
};

describe("pulumi destroy's order (the engine's schedule on the rendered graph)", function () {
    this.timeout(300_000);

    for (const stack of Object.keys(STACKS)) {
        it(`${stack}: no delete step runs after something it needs is gone`, async () => {
            const plan = destroyPlanOf(await evaluated(stack));
            const withNeeds = plan.steps.filter((step) => step.needs.length > 0);
            console.log(
                `      ${plan.steps.length} delete steps (${withNeeds.length} that dial in or use the API, ${plan.skipped.length} skipped by deletedWith) in ${plan.waves.length} waves, ${plan.violations.length} violations`,
            );
            assert.deepEqual(plan.violations, []);
            assert.ok(withNeeds.length > 20);
            // The firewall rules the program's connections cross go in the last waves, after the bastion.
            const waveOf = (name: string) => plan.waves.findIndex((names) => names.includes(name));
            assert.ok(waveOf("network-allow-admin") > waveOf("haproxy-vm"));
            assert.ok(waveOf("haproxy-vm") > waveOf("control-plane-kubernetes"));
        });
    }

    it("on gce-pd, the claims' disks are released before the CSI driver goes and after nothing needs them", async () => {
        for (const stack of ["dev", "all-layers on gce-pd"]) {
            const plan = destroyPlanOf(await evaluated(stack));
            const release = plan.steps.find((step) => step.name === "storage-volumes-released");
            assert.ok(release, `${stack} releases its volumes on destroy`);
            assert.deepEqual(release.needs.filter((n) => n.name === "storage-gce-pd").length, 1);
            for (const name of ["kube-prometheus-stack", "loki", "tempo"])
                assert.equal(plan.steps.find((step) => step.name === name)?.kind, "PVC-backed release");
        }
        // local-path volumes are directories on the nodes: they go with the VMs.
        assert.equal(
            (await evaluated("all-layers")).resources.find((r) => r.name === "storage-volumes-released"),
            undefined,
        );
    });

    it("bucketsOnDestroy: keep (default) leaves both data buckets, delete empties and deletes them", async () => {
        const buckets = ["logging-bucket-chunks", "etcd-backup-bucket"];
        const kept = destroyPlanOf(await evaluated("dev"));
        assert.deepEqual(kept.kept.filter((name) => buckets.includes(name)).sort(), [...buckets].sort());
        const forceDestroy = (evaluation: Evaluation) => buckets.map((name) => evaluation.resources.find((r) => r.name === name)?.inputs.forceDestroy);
        assert.deepEqual(forceDestroy(await evaluated("dev")), [false, false]);
        const deleting = await evaluateDev({ bucketsOnDestroy: "delete" });
        // The shop's chart is kept on removal (the handover to Argo CD); a destroy removes its objects with their namespace.
        const plan = destroyPlanOf(deleting);
        assert.deepEqual(plan.kept, ["onlineboutique"]);
        const wave = (name: string) => plan.waves.findIndex((names) => names.includes(name));
        assert.ok(wave("boutique-namespace") > wave("onlineboutique"), "the namespace, and with it the chart's objects, goes after the chart is forgotten");
        assert.deepEqual(forceDestroy(deleting), [true, true]);
        await assert.rejects(evaluateDev({ bucketsOnDestroy: "empty" }), /bucketsOnDestroy.*must be one of keep, delete/s);
    });

    it("reports the step that would fail when a firewall rule's dependency is removed", async () => {
        const evaluation = await evaluated("dev");
        const broken = evaluation.resources.map((resource): RenderedResource =>
            resource.name === "haproxy-vm" ? { ...resource, dependsOn: resource.dependsOn.filter((name) => name !== "network-allow-admin") } : resource,
        );
        const plan = destroyPlan(broken, evaluation.deleteLinks ?? new Map());
        const expected =
            "storage-volumes-released (remote command (kubectl on a node)) may run after network-allow-admin (the runner's SSH and API traffic to HAProxy) is deleted, or while it is";
        console.log(`      ${plan.violations.length} violations, e.g. ${expected}`);
        assert.ok(plan.violations.includes(expected), plan.violations.slice(0, 5).join("\n"));
        assert.ok(
            plan.violations.includes(
                "kube-prometheus-stack (PVC-backed release) may run after network-allow-admin (the runner's SSH and API traffic to HAProxy) is deleted, or while it is",
            ),
        );
        assert.ok(plan.violations.every((violation) => violation.includes("network-allow-admin")));
    });

    it("reports a control plane deleted under the API and a release deleted before its volumes are released", async () => {
        const evaluation = await evaluated("all-layers on gce-pd");
        const broken = evaluation.resources.map((resource): RenderedResource => {
            if (resource.name === "control-plane-kubernetes") return { ...resource, dependsOn: resource.dependsOn.filter((name) => name !== "cp-2-vm") };
            if (resource.name === "storage-volumes-released") return { ...resource, dependsOn: resource.dependsOn.filter((name) => name !== "loki") };
            return resource;
        });
        const violations = destroyPlan(broken, evaluation.deleteLinks ?? new Map()).violations;
        assert.ok(violations.includes("cilium (Kubernetes object) may run after cp-2-vm (cp-2-vm) is deleted, or while it is"), violations.join("\n"));
        assert.ok(
            violations.includes("loki (PVC-backed release) may run before storage-volumes-released (the release of the claims' disks) has run"),
            violations.join("\n"),
        );
    });
});
