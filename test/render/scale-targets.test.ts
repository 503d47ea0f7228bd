import { strict as assert } from "assert";
import { diffEvaluations } from "../../render/diff";
import { RenderedResource } from "../../render/evaluation";
import { MockCloud } from "../../render/mock-cloud";
import { dependentsOutside, formatScaleTargets, matchTargets, ScaleTargetReport, scaleTargetReport, targetMatcher } from "../../render/scale-targets";
import { scaleTargets } from "../../scaler/automation-stack";
import { byName, evaluateDev } from "../support/program";
import { slotChanges } from "../../config/worker-slots";
import { devConfig } from "../fixtures";

const PROJECT = "boutique-platform";

/** The scale update's target report for dev changed from `before` to `before + after`, as `render --diff` prints it. */
async function reportFor(
    before: Record<string, string>,
    after: Record<string, string>,
): Promise<ScaleTargetReport & { resources: readonly RenderedResource[] }> {
    const cloud = new MockCloud();
    const base = await evaluateDev(before, cloud);
    const changed = await evaluateDev({ ...before, ...after }, cloud);
    const { added, removed } = slotChanges(devConfig(before).workers, devConfig({ ...before, ...after }).workers);
    const patterns = scaleTargets("dev", [...added, ...removed]);
    const report = scaleTargetReport({
        before: base.resources,
        after: changed.resources,
        diff: diffEvaluations(base, changed),
        patterns,
        stack: "dev",
        project: PROJECT,
    });
    return { ...report, resources: base.resources };
}

const workerResources = (slot: number) => [
    `worker-${slot}`,
    `worker-${slot}-membership`,
    `worker-${slot}-roll`,
    `worker-${slot}-settled`,
    `worker-${slot}-upgrade`,
    `worker-${slot}-vm`,
];
const isWorkerOrIngress = (name: string) =>
    name === "workers" || name === "haproxy-config" || /^worker-\d+(-vm|-membership|-roll|-settled|-upgrade)?$/.test(name);
const PLATFORM_TYPES = /^kubernetes:|^pulumi:providers:|^boutique:platform:/;

describe("the scale update's target set (render --diff, without --target-dependents)", function () {
    this.timeout(120_000);

    for (const [what, after, slot, step] of [
        ["+1 (workerCount 3 -> 4)", { workerCount: "4" }, 3, "create"],
        ["removing worker-1 (workerCount 3 -> 2, retiredWorkerSlots [1])", { workerCount: "2", retiredWorkerSlots: "[1]" }, 1, "delete"],
    ] as const) {
        it(`${what}: only workers and the ingress config, nothing outside depends on them, nothing left undone`, async () => {
            const report = await reportFor({}, after);
            const names = report.targets.map((target) => target.name);
            console.log(`      ${report.targets.length} of ${report.total} resources targeted`);
            assert.deepEqual(
                names.filter((name) => !isWorkerOrIngress(name)),
                [],
                "only the pool and the ingress config",
            );
            assert.deepEqual(
                [...names].sort(),
                ["haproxy-config", ...workerResources(slot)].sort(),
                "of the pool, only the changed worker (the other workers are never touched)",
            );
            assert.deepEqual(
                report.targets.filter((target) => PLATFORM_TYPES.test(target.type)),
                [],
                "no Helm release, chart, provider, namespace or platform component",
            );
            const changes = report.targets.filter((target) => target.step !== "same");
            assert.deepEqual(
                changes.map((target) => `${target.step} ${target.name}`).sort(),
                [...workerResources(slot).map((name) => `${step} ${name}`), "change haproxy-config"].sort(),
            );
            assert.deepEqual(report.outsideDependents, []);
            assert.deepEqual(report.missedChanges, []);
            assert.match(formatScaleTargets(report), /^dependents outside the targets: none$/m);
        });
    }

    it("the releases wait for the workers-ready gate, and nothing outside the pool waits for a worker", async () => {
        const evaluation = await evaluateDev();
        const releases = evaluation.resources.filter((resource) => resource.type.startsWith("kubernetes:helm.sh/"));
        assert.ok(releases.length > 10);
        for (const release of releases)
            assert.ok(!release.dependsOn.some((name) => name.startsWith("worker-") || name === "workers"), `${release.name} waits for a worker`);
        for (const name of ["kube-prometheus-stack", "loki", "tempo", "otel-collector", "storage-gce-pd", "istio-system-namespace"]) {
            assert.ok(byName(evaluation, name).dependsOn.includes("workers-ready-wait"), `${name} waits for workers-ready`);
        }
        // The gate waits for the control plane only; kubeadm init for HAProxy's API config only.
        assert.deepEqual(
            byName(evaluation, "workers-ready-wait").dependsOn.filter((name) => /worker|haproxy-config/.test(name)),
            [],
        );
        assert.ok(byName(evaluation, "workers-ready-wait").dependsOn.includes("cluster-init"));
        assert.deepEqual(
            byName(evaluation, "cluster-init").dependsOn.filter((name) => name.startsWith("haproxy-")),
            ["haproxy-api-config", "haproxy-public-ip"],
        );
        const targets = matchTargets(evaluation.resources, scaleTargets("dev"), "dev", PROJECT);
        assert.deepEqual(dependentsOutside(evaluation.resources, targets), []);
    });

    it("catches a broken graph: a release that depends on a worker again, a child of a target outside the patterns", async () => {
        const evaluation = await evaluateDev();
        const broken = evaluation.resources.map((resource): RenderedResource => {
            if (resource.name === "kube-prometheus-stack") return { ...resource, dependsOn: [...resource.dependsOn, "worker-0-vm", "workers"] };
            if (resource.name === "cluster-init") return { ...resource, dependsOn: [...resource.dependsOn, "haproxy-config"] };
            return resource;
        });
        const orphan: RenderedResource = { type: "command:remote:Command", name: "ingress-probe", parent: "haproxy-config", inputs: {}, dependsOn: [] };
        const report = scaleTargetReport({
            before: evaluation.resources,
            after: [...broken, orphan],
            diff: { created: [{ type: orphan.type, name: orphan.name }], deleted: [], changed: [] },
            patterns: scaleTargets("dev"),
            stack: "dev",
            project: PROJECT,
        });
        assert.deepEqual(
            report.outsideDependents.map((dependent) => `${dependent.name} -> ${dependent.on.join(",")}`),
            ["cluster-init -> haproxy-config", "kube-prometheus-stack -> worker-0-vm,workers", "ingress-probe -> haproxy-config"],
        );
        assert.deepEqual(report.missedChanges, [{ type: orphan.type, name: orphan.name }], "a change outside the targets is one a scale update would miss");
        const printed = formatScaleTargets(report);
        assert.match(printed, /^dependents outside the targets: 3$/m);
        assert.match(printed, /^ {2}! kube-prometheus-stack \(kubernetes:helm\.sh\/v3:Release\) depends on worker-0-vm, workers$/m);
        assert.match(printed, /^changes outside the targets \(a scale update would not make them\): 1$/m);
    });

    it("reads --target patterns as Pulumi's engine does: ** matches anything, * anything but ':', the rest literally", () => {
        const pool = targetMatcher("urn:pulumi:dev::p::boutique:cluster:WorkerPool$**");
        assert.ok(pool.test("urn:pulumi:dev::p::boutique:cluster:WorkerPool$boutique:cluster:WorkerNode$gcp:compute/instance:Instance::worker-3-vm"));
        assert.ok(!pool.test("urn:pulumi:dev::p::boutique:cluster:DedicatedNodePool$boutique:cluster:WorkerNode::loki-0"));
        assert.ok(!pool.test("urn:pulumi:dev::p::boutique:cluster:WorkerPool::workers"), "the pool itself is its own target");
        const one = targetMatcher("urn:pulumi:dev::p::*::x");
        assert.ok(one.test("urn:pulumi:dev::p::Type::x"));
        assert.ok(!one.test("urn:pulumi:dev::p::a:b::x"), "* stops at ':'");
        assert.ok(!targetMatcher("urn:pulumi:dev::p::a.b::x").test("urn:pulumi:dev::p::aXb::x"), "'.' is literal");
    });
});
