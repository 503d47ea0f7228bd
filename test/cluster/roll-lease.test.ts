import { strict as assert } from "assert";
import { renderRollFinishScript, renderRollStartScript, ROLL_LEASE_SECONDS } from "../../components/cluster/rendered/node-scripts-roll";
import { overlaps, pause, RollLeaseLab, RollRun } from "../support/roll-lease-lab";

/**
 * The roll Lease with real concurrent processes: the rendered roll-start and roll-finish scripts
 * of several nodes run at the same time (as Pulumi runs the nodes' rolls in parallel) against a
 * fake API server whose Lease create is atomic (support/roll-lease-lab.ts). Between a node's two
 * scripts the test makes its "change": the node goes NotReady for a while, then Ready again.
 */

const NODES = ["boutique-dev-cp-0", "boutique-dev-worker-0", "boutique-dev-worker-1", "boutique-dev-worker-2"];
/** Bounds every wait of the scripts (retry_for, wait_limit); each node's change takes well under a second. */
const WAIT_SECONDS = 40;
const CHANGE_MS = 150;
const BACK_READY_AFTER_MS = 300;

const template = { image: "ubuntu-os-cloud/ubuntu-2404-lts-amd64", diskSizeGb: 50, machineType: "e2-standard-4", kubernetesVersion: { minor: 32, patch: 4 } };
const startScript = (nodeName: string) => renderRollStartScript({ nodeName, template, drainTimeoutSeconds: 30, waitSeconds: 21_000 });
const finishScript = (nodeName: string) => {
    const input = { nodeName, template, readyWaitSeconds: 1800 };
    return renderRollFinishScript(input);
};

interface NodeChange {
    readonly node: string;
    readonly start: RollRun;
    readonly finish?: RollRun;
    /** While the node was changed (after roll-start, until it was Ready again), wall-clock ms. */
    readonly changed?: { readonly from: number; readonly to: number };
}

/** One node's change as Pulumi would make it: roll-start, the VM change, roll-finish. */
async function changeNode(lab: RollLeaseLab, node: string, waitSeconds = WAIT_SECONDS): Promise<NodeChange> {
    const start = await lab.run(node, startScript(node), { waitSeconds });
    if (start.status !== 0) return { node, start };
    const from = Date.now();
    lab.setNode(node, "False");
    await pause(CHANGE_MS);
    const finishing = lab.run(node, finishScript(node), { waitSeconds });
    await pause(BACK_READY_AFTER_MS);
    lab.setNode(node, "True");
    const to = Date.now();
    return { node, start, finish: await finishing, changed: { from, to } };
}

/** Each holder's intervals from the fake API server's log: took -> released (or still held at `now`). */
function holds(lab: RollLeaseLab, now = Date.now()): { readonly label: string; readonly from: number; readonly to: number }[] {
    const result: { label: string; from: number; to: number }[] = [];
    for (const event of lab.events()) {
        const [verb, holder] = event.what.split(" ");
        if (verb === "took") result.push({ label: holder, from: event.at, to: now });
        if (verb === "released") {
            const open = result.filter((hold) => hold.label === holder && hold.to === now).pop();
            if (open) open.to = event.at;
        }
    }
    return result;
}

describe("the roll lease: one node changes at a time (rendered roll scripts as concurrent processes)", function () {
    this.timeout(240_000);
    let lab: RollLeaseLab;
    beforeEach(() => {
        lab = new RollLeaseLab();
        for (const node of NODES) lab.setNode(node, "True");
    });
    afterEach(() => lab.cleanup());

    it("4 nodes started at once change one after the other: no two changes (nor lease holds) overlap, and every node runs", async () => {
        const results = await Promise.all(NODES.map((node) => changeNode(lab, node)));
        for (const result of results) {
            assert.equal(result.start.status, 0, `${result.node} roll-start: ${result.start.stderr}`);
            assert.equal(result.finish?.status, 0, `${result.node} roll-finish: ${result.finish?.stderr}`);
        }
        const changes = results.map((result) => ({ label: result.node, from: result.changed?.from ?? 0, to: result.changed?.to ?? 0 }));
        const changeOverlap = overlaps(changes);
        const holdOverlap = overlaps(holds(lab));
        const order = [...changes].sort((a, b) => a.from - b.from).map((change) => change.label);
        console.log(
            `      order: ${order.join(", ")}; change overlaps: ${changeOverlap.overlapping.length} (smallest gap ${changeOverlap.smallestGapMs} ms); lease-hold overlaps: ${holdOverlap.overlapping.length} (smallest gap ${holdOverlap.smallestGapMs} ms)`,
        );
        assert.deepEqual(changeOverlap.overlapping, []);
        assert.deepEqual(holdOverlap.overlapping, []);
        assert.deepEqual(
            holds(lab)
                .map((hold) => hold.label)
                .sort(),
            [...NODES].sort(),
            "each node took the lease exactly once",
        );
        // Each change happened inside its own node's hold, and every node was drained first and is back in service.
        for (const change of changes) {
            const hold = holds(lab).find((h) => h.label === change.label);
            assert.ok(hold && hold.from <= change.from && change.to <= hold.to, `${change.label}'s change lies inside its hold`);
        }
        const verbs = (node: string) =>
            lab
                .events()
                .filter((event) => event.what.endsWith(node))
                .map((event) => event.what.split(" ")[0]);
        for (const node of NODES) assert.deepEqual(verbs(node), ["took", "cordon", "drained", "uncordon", "released"], node);
        assert.equal(lab.holder(), undefined, "the last node gave the lease back");
    });

    it(`a holder that died without giving the lease back is taken over only once it expired (${ROLL_LEASE_SECONDS}s, the scripts' clock moved)`, async () => {
        lab.leaseLeftBy("boutique-dev-worker-9", 0);
        const running = NODES.slice(0, 2).map((node) => changeNode(lab, node));
        await pause(2000);
        assert.equal(lab.holder(), "boutique-dev-worker-9", "nobody takes a live lease");
        assert.deepEqual(
            lab.events().filter((event) => event.what.startsWith("took")),
            [],
        );
        const expiredAt = Date.now();
        lab.setClockOffset(ROLL_LEASE_SECONDS + 60);
        const results = await Promise.all(running);
        for (const result of results) assert.equal(result.finish?.status, 0, `${result.node}: ${result.start.stderr}${result.finish?.stderr ?? ""}`);
        const taken = holds(lab);
        assert.deepEqual(taken.map((hold) => hold.label).sort(), NODES.slice(0, 2).sort());
        assert.ok(
            taken.every((hold) => hold.from > expiredAt),
            "taken only after it expired",
        );
        assert.deepEqual(overlaps(taken).overlapping, []);
        const takeover = results.find((result) =>
            /took over the roll lease from boutique-dev-worker-9, who had not renewed it since /.test(result.start.stderr),
        );
        assert.ok(takeover, results.map((result) => result.start.stderr).join("\n"));
        console.log(
            `      waited ${expiredAt - Math.min(...results.map((r) => r.start.startedAt))} ms on the live lease; first taken ${Math.min(...taken.map((h) => h.from)) - expiredAt} ms after it expired`,
        );
    });

    it("a failing drain gives the lease back, puts the node back in service and fails naming the step; the next node then goes", async () => {
        const [failing, next] = NODES;
        lab.failDrains(failing);
        const run = await lab.run(failing, startScript(failing), { waitSeconds: WAIT_SECONDS });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, new RegExp(`${failing}: step 'drain' failed within 30 s; the node is back in service and its VM unchanged`));
        assert.deepEqual(
            lab.events().map((event) => event.what.split(" ")[0]),
            ["took", "cordon", "drain-failed", "uncordon", "delete-begin", "released"],
        );
        assert.equal(lab.holder(), undefined);
        const after = await changeNode(lab, next);
        assert.equal(after.finish?.status, 0, after.start.stderr);
    });

    it("a node that never becomes Ready keeps the lease and fails naming the step; no other node may change meanwhile", async () => {
        const [stuck, waiting] = NODES;
        assert.equal((await lab.run(stuck, startScript(stuck), { waitSeconds: WAIT_SECONDS })).status, 0);
        lab.setNode(stuck, "False");
        const finish = await lab.run(stuck, finishScript(stuck), { waitSeconds: 2 });
        assert.notEqual(finish.status, 0);
        assert.match(finish.stderr, new RegExp(`${stuck}: step 'wait for Ready' failed: not Ready .*it keeps the roll lease`));
        assert.equal(lab.holder(), stuck);
        assert.ok(!lab.events().some((event) => event.what === `uncordon ${stuck}`), "a node that is not back stays cordoned");
        const blocked = await lab.run(waiting, startScript(waiting), { waitSeconds: 2 });
        assert.notEqual(blocked.status, 0);
        assert.match(blocked.stderr, new RegExp(`waiting for the roll lease: ${stuck} is changing[^]*${waiting}: step 'take the roll lease' failed`));
        assert.equal(lab.holder(), stuck);
    });

    // Taking over an expired Lease is a compare-and-swap on the version the waiter read (kubectl
    // replace naming it): a waiter whose replace lands after another already took the Lease over
    // gets a Conflict and keeps waiting, so two nodes never change at once.
    it("two waiters taking over an expired lease never both hold it (a slow takeover loses to the first)", async () => {
        const [slow, fast] = NODES;
        lab.leaseLeftBy("boutique-dev-worker-9", ROLL_LEASE_SECONDS + 600);
        const slowRun = lab.run(slow, startScript(slow), { waitSeconds: 6, env: { FAKE_REPLACE_LEASE_DELAY: "2" } });
        const deadline = Date.now() + 10_000;
        while (!lab.events().some((event) => event.by === slow && event.what === "replace-begin")) {
            assert.ok(Date.now() < deadline, "the slow waiter never tried to take the expired lease over");
            await pause(50);
        }
        const fastRun = await lab.run(fast, startScript(fast), { waitSeconds: 6 });
        assert.equal(fastRun.status, 0, fastRun.stderr);
        assert.equal(lab.holder(), fast, "the fast waiter took the expired lease over");
        // The fast node now holds the lease (and would change); the slow one must keep waiting and give up.
        const slowResult = await slowRun;
        console.log(
            `      holders over time: ${holds(lab)
                .map((hold) => hold.label)
                .join(" -> ")}; slow waiter exit ${slowResult.status}`,
        );
        assert.notEqual(slowResult.status, 0, `${slow} took the lease while ${fast} held it:\n${slowResult.stderr}`);
        assert.match(slowResult.stderr, /step 'take the roll lease' failed/);
        assert.equal(lab.holder(), fast);
    });
});
