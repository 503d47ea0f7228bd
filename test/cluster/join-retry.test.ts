import * as assert from "assert";
import { clusterCommands } from "../support/cluster-commands";
import { CommandEngine, StepRecord } from "../support/command-engine";
import { JoinLab } from "../support/join-lab";

/**
 * Joins that can be retried, end to end: the program's own remote commands (as `npm run render`
 * declares them) run `up` after `up` by a model of Pulumi's engine (support/command-engine.ts)
 * against VMs played by sandboxes with a fake kubeadm that enforces token lifetimes
 * (support/join-lab.ts).
 */

const summary = (steps: readonly StepRecord[]) => steps.map((step) => `${step.name}:${step.op}:${step.ok ? "ok" : "failed"}`);
const tokenMints = (lab: JoinLab, node: string) => lab.calls().filter((call) => call.includes("token create") && call.includes(node)).length;

describe("joins that can be retried (engine model + fake kubeadm with token lifetimes)", function () {
    this.timeout(120_000);

    for (const recordFailedCreates of [false, true]) {
        const how = recordFailedCreates ? "kept with an initialization error (next up updates it)" : "not recorded (next up creates it again)";
        it(`a worker's failed join succeeds on the next up, an hour later, with a new token; failed create ${how}`, async () => {
            const { commands, addressOf, hosts } = await clusterCommands();
            const lab = new JoinLab(hosts);
            try {
                const engine = new CommandEngine(lab.runner, { recordFailedCreates });
                const worker = "boutique-dev-worker-1";
                lab.failNextJoins(addressOf(worker), 1);

                const first = engine.up(commands);
                const failed = first[first.length - 1];
                assert.equal(failed.name, "worker-1-membership");
                assert.equal(failed.ok, false);
                // Which node, which step, and kubeadm's own reason.
                assert.match(failed.stderr, /boutique-dev-worker-1: step 'kubeadm join' failed/);
                assert.match(failed.stderr, /timed out waiting for the condition/);
                assert.deepEqual(lab.tokens(), [], "the failed attempt's token must be deleted when the attempt ends");
                assert.equal(tokenMints(lab, worker), 1);

                lab.advance(3600);
                const second = engine.up(commands);
                assert.ok(summary(second).includes(`worker-1-membership:${recordFailedCreates ? "update" : "create"}:ok`), summary(second).join(", "));
                assert.ok(
                    second.every((step) => step.ok),
                    summary(second).join(", "),
                );
                assert.equal(tokenMints(lab, worker), 2, "the retry mints its own token");
                assert.ok(lab.nodes().includes(worker));
                assert.deepEqual(lab.tokens(), [], "no token outlives its attempt");

                assert.deepEqual(engine.up(commands), [], "a third up has nothing to do");
                assert.equal(lab.calls().filter((call) => / kubeadm init /.test(call)).length, 1);
            } finally {
                lab.cleanup();
            }
        });
    }

    it("a control plane's failed join succeeds hours later (the uploaded certificates would have expired) with a new token and no certificate upload", async () => {
        const { commands, addressOf, hosts } = await clusterCommands({ controlPlaneCount: "3", workerCount: "2" });
        const lab = new JoinLab(hosts);
        try {
            const engine = new CommandEngine(lab.runner);
            lab.failNextJoins(addressOf("boutique-dev-cp-1"), 1);
            const first = engine.up(commands);
            assert.deepEqual(summary(first).slice(-1), ["cp-1-bring-up:create:failed"], summary(first).join(", "));
            assert.match(first[first.length - 1].stderr, /boutique-dev-cp-1: step 'kubeadm join' failed/);
            assert.deepEqual(lab.tokens(), []);

            lab.advance(3 * 3600);
            const second = engine.up(commands);
            assert.ok(
                second.every((step) => step.ok),
                summary(second).join(", "),
            );
            assert.ok(summary(second).includes("cp-1-bring-up:create:ok"));
            assert.ok(summary(second).includes("cp-2-bring-up:create:ok"), "the next control plane follows");
            assert.deepEqual(
                ["boutique-dev-cp-0", "boutique-dev-cp-1", "boutique-dev-cp-2"].filter((node) => lab.nodes().includes(node)),
                ["boutique-dev-cp-0", "boutique-dev-cp-1", "boutique-dev-cp-2"],
            );
            assert.equal(tokenMints(lab, "boutique-dev-cp-1"), 2);
            assert.ok(!lab.calls().some((call) => /upload-certs|certificate-key/.test(call)), "no control-plane join depends on uploaded certificates");
            assert.equal(lab.calls().filter((call) => / kubeadm init /.test(call)).length, 1, "the cluster is initialized once");
            assert.deepEqual(lab.tokens(), []);
        } finally {
            lab.cleanup();
        }
    });
});
