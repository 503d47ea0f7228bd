import { strict as assert } from "assert";
import { renderWorkersReadyScript, WORKERS_READY_WAIT_SECONDS } from "../../components/cluster/rendered/workers-ready-script";
import { withSandbox } from "../support/scripts-sandbox";

/**
 * What the script's `kubectl get nodes -o jsonpath=...` prints, one line per node (cordoned,
 * taint effects, Ready status), as kubectl 1.32 printed it for these nodes from a fake API server.
 */
const NODES = {
    controlPlane: "\tNoSchedule\tTrue",
    worker: "\t\tTrue",
    cordoned: "true\tNoSchedule\tTrue",
    /** Cordoned a moment ago: the node controller has not added its unschedulable taint yet. */
    cordonedUntainted: "true\t\tTrue",
    preferNoSchedule: "\tPreferNoSchedule\tTrue",
    notReady: "\tNoSchedule\tFalse",
    dedicatedPool: "\tNoExecute PreferNoSchedule\tTrue",
    readyUnknown: "\t\tUnknown",
} as const;
const nodeList = (...lines: string[]) => `${lines.join("\n")}\n`;
const GET_NODES = "^kubectl --kubeconfig \\S+/etc/kubernetes/admin.conf get nodes -o jsonpath=";

describe("workers-ready (the platform releases' wait for schedulable workers)", () => {
    describe("renderer", () => {
        it("writes the count to wait for and the bounded wait into the script", () => {
            const script = renderWorkersReadyScript({ minReadyWorkers: 2 });
            assert.match(script, /^readonly MIN_READY_WORKERS=2$/m);
            assert.match(script, new RegExp(`^readonly WAIT_SECONDS=${WORKERS_READY_WAIT_SECONDS}$`, "m"));
            assert.match(renderWorkersReadyScript({ minReadyWorkers: 0, waitSeconds: 60 }), /^readonly WAIT_SECONDS=60$/m);
        });

        const invalid: [string, () => string, RegExp][] = [
            ["a negative count", () => renderWorkersReadyScript({ minReadyWorkers: -1 }), /minReadyWorkers must be a whole number, 0 or more, got -1/],
            ["a fractional count", () => renderWorkersReadyScript({ minReadyWorkers: 1.5 }), /minReadyWorkers .* got 1\.5/],
            [
                "a zero wait",
                () => renderWorkersReadyScript({ minReadyWorkers: 1, waitSeconds: 0 }),
                /waitSeconds must be a positive whole number of seconds, got 0/,
            ],
        ];
        for (const [what, render, message] of invalid) {
            it(`rejects ${what}, naming the value`, () => assert.throws(render, message));
        }
        // shellcheck: test/cluster/rendered/node-scripts.test.ts checks it among every rendered script (support/scripts-fixtures.ts).
    });

    describe("run (fake kubectl, the real awk)", () => {
        it("counts only Ready nodes that take an ordinary pod: no control plane, cordoned, NoSchedule or NoExecute node", () => {
            const nodes = nodeList(...Object.values(NODES));
            withSandbox(["kubectl"], [{ match: GET_NODES, stdout: nodes }], (sandbox) => {
                const enough = sandbox.run(renderWorkersReadyScript({ minReadyWorkers: 2 }));
                assert.equal(enough.status, 0, enough.stderr);
                assert.equal(enough.stdout, "2 schedulable workers Ready (2 needed)\n");
                const short = sandbox.run(renderWorkersReadyScript({ minReadyWorkers: 3 }));
                assert.equal(short.status, 1);
                assert.match(short.stderr, /gave up after 0s: 2 of 3 schedulable workers Ready/);
            });
        });

        // One blocked node beside one good worker, each alone: the count stays 1, so dropping any one
        // rule (cordon, NoSchedule, NoExecute, Ready) makes its case fail.
        const blocked: [string, string][] = [
            ["a control plane (NoSchedule)", NODES.controlPlane],
            ["a cordoned node whose taint is not there yet", NODES.cordonedUntainted],
            ["a NoExecute pool node", NODES.dedicatedPool],
            ["a node that is not Ready", "\t\tFalse"],
            ["a node whose Ready is Unknown", NODES.readyUnknown],
        ];
        for (const [what, line] of blocked) {
            it(`does not count ${what}`, () => {
                withSandbox(["kubectl"], [{ match: GET_NODES, stdout: nodeList(NODES.worker, line) }], (sandbox) => {
                    const run = sandbox.run(renderWorkersReadyScript({ minReadyWorkers: 2 }));
                    assert.equal(run.status, 1, run.stdout);
                    assert.match(run.stderr, /gave up after 0s: 1 of 2 schedulable workers Ready/);
                });
            });
        }

        it("counts no worker while the API does not answer, and fails when the wait runs out", () => {
            withSandbox(["kubectl"], [{ match: GET_NODES, exit: 1, stdout: "" }], (sandbox) => {
                const run = sandbox.run(renderWorkersReadyScript({ minReadyWorkers: 1 }));
                assert.equal(run.status, 1);
                assert.match(run.stderr, /0 of 1 schedulable workers Ready/);
            });
        });

        it("with 0 to wait for (minWorkers 0: scale from zero) passes at once, on a cluster with no worker or no answer", () => {
            for (const rule of [
                { match: GET_NODES, stdout: nodeList(NODES.controlPlane) },
                { match: GET_NODES, exit: 1 },
            ]) {
                withSandbox(["kubectl"], [rule], (sandbox) => {
                    const run = sandbox.run(renderWorkersReadyScript({ minReadyWorkers: 0 }));
                    assert.equal(run.status, 0, run.stderr);
                    assert.equal(run.stdout, "0 schedulable workers Ready (0 needed)\n");
                });
            }
        });

        it("reads the cluster with the admin kubeconfig only (nothing else is called)", () => {
            withSandbox(["kubectl"], [{ match: GET_NODES, stdout: nodeList(NODES.worker) }], (sandbox) => {
                const run = sandbox.run(renderWorkersReadyScript({ minReadyWorkers: 1 }));
                assert.equal(run.status, 0, run.stderr);
                assert.equal(run.calls.length, 1);
                assert.match(run.calls[0], new RegExp(GET_NODES));
            });
        });
    });
});
