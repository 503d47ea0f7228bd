import { strict as assert } from "assert";
import { renderCordonAndDrainScript, renderUncordonScript } from "../components/node-scripts";
import { callIndex, ScriptRun, StubRule, withSandbox } from "./support/scripts-sandbox";

const NODE = "boutique-worker-3";
const exists: StubRule = { match: `^kubectl .* get node ${NODE} --ignore-not-found -o name$`, stdout: `node/${NODE}\n` };
/** The Ready status and kubelet version, as uncordon reads them. */
const nodeShows = (ready: string, kubelet: string, times?: number): StubRule => ({ match: `^kubectl .* get node ${NODE} -o jsonpath=`, stdout: `${ready} ${kubelet}`, times });
/** Each call's kubectl verb (the kubeconfig flag removed). */
const verbs = (run: ScriptRun): string[] => run.calls.map((call) => call.replace(/ --kubeconfig \S+/, "").split(" ")[1]);

describe("node scripts: maintenance", () => {
    describe("cordon-and-drain (fake kubectl)", () => {
        const script = renderCordonAndDrainScript({ nodeName: NODE, drainTimeoutSeconds: 600 });

        it("cordons, then drains with evictions and the timeout", () => {
            withSandbox(["kubectl"], [exists], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(verbs(run), ["get", "cordon", "drain"]);
                assert.match(run.calls[2], / drain boutique-worker-3 --ignore-daemonsets --delete-emptydir-data --force --timeout=600s$/);
                assert.doesNotMatch(run.calls[2], /disable-eviction/);
                assert.match(run.stderr, /node boutique-worker-3 cordoned and drained/);
            });
        });

        it("uncordons and fails when the drain cannot finish (a PodDisruptionBudget blocks it)", () => {
            withSandbox(["kubectl"], [exists, { match: " drain ", exit: 1 }], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.deepEqual(verbs(run), ["get", "cordon", "drain", "uncordon"]);
                assert.match(run.stderr, /the drain of node boutique-worker-3 failed; it is uncordoned and back in service/);
            });
        });

        it("fails, changing nothing, when the node does not exist", () => {
            withSandbox(["kubectl"], [], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.deepEqual(verbs(run), ["get"]);
                assert.match(run.stderr, /node boutique-worker-3 does not exist; nothing to drain/);
            });
        });

        it("fails, changing nothing, when the API server does not answer", () => {
            withSandbox(["kubectl"], [{ match: " get node ", exit: 1 }], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.deepEqual(verbs(run), ["get"]);
                assert.match(run.stderr, /the API server did not answer within 0s/);
            });
        });
    });

    describe("uncordon (fake kubectl)", () => {
        const upgraded = renderUncordonScript({ nodeName: NODE, kubeletVersion: "v1.32.4", readyWaitSeconds: 600 });

        it("uncordons a node that is Ready with the wanted kubelet", () => {
            withSandbox(["kubectl"], [exists, nodeShows("True", "v1.32.4")], (sandbox) => {
                const run = sandbox.run(upgraded);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(verbs(run), ["get", "get", "uncordon"]);
                assert.match(run.calls[1], /-o jsonpath=\{\.status\.conditions\[\?\(@\.type=="Ready"\)\]\.status\}\{" "\}\{\.status\.nodeInfo\.kubeletVersion\}$/);
                assert.match(run.stderr, /node boutique-worker-3 is Ready with kubelet v1\.32\.4 and uncordoned/);
            });
        });

        for (const [what, shows, lastSeen] of [
            ["still runs the old kubelet", nodeShows("True", "v1.31.9"), "Ready True, kubelet v1.31.9"],
            ["runs a kubelet that only starts with the wanted version", nodeShows("True", "v1.32.40"), "Ready True, kubelet v1.32.40"],
            ["is not Ready", nodeShows("False", "v1.32.4"), "Ready False, kubelet v1.32.4"],
            ["cannot be read", { match: "-o jsonpath=", exit: 1 }, "nothing (the API server did not answer)"],
        ] as const) {
            it(`fails, leaving it cordoned, when the node ${what}`, () => {
                withSandbox(["kubectl"], [exists, shows], (sandbox) => {
                    const run = sandbox.run(upgraded);
                    assert.equal(run.status, 1);
                    assert.equal(callIndex(run.calls, / uncordon /), -1);
                    assert.ok(
                        run.stderr.includes(`node boutique-worker-3 was not Ready with kubelet v1.32.4 within 0s (last seen: ${lastSeen}); it stays cordoned`),
                        run.stderr,
                    );
                });
            });
        }

        it("without a version, uncordons any Ready node", () => {
            withSandbox(["kubectl"], [exists, nodeShows("True", "v1.31.9")], (sandbox) => {
                const run = sandbox.run(renderUncordonScript({ nodeName: NODE, readyWaitSeconds: 600 }));
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(verbs(run), ["get", "get", "uncordon"]);
            });
        });

        it("waits for a node that becomes Ready later (one 5 s retry)", () => {
            withSandbox(["kubectl"], [exists, nodeShows("Unknown", "v1.31.9", 1), nodeShows("True", "v1.32.4")], (sandbox) => {
                const run = sandbox.run(upgraded, { env: { BOUTIQUE_TEST_WAIT_SECONDS: "20" } });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(verbs(run), ["get", "get", "get", "uncordon"]);
            });
        });

        it("fails when the node does not exist", () => {
            withSandbox(["kubectl"], [], (sandbox) => {
                const run = sandbox.run(upgraded);
                assert.equal(run.status, 1);
                assert.deepEqual(verbs(run), ["get"]);
                assert.match(run.stderr, /node boutique-worker-3 does not exist; nothing to uncordon/);
            });
        });

        for (const version of ["1.32.4", "v1.32", "v1.32.4-rc.0", "v2.0.0", "v1.032.4"]) {
            it(`rejects kubeletVersion ${version}, naming it`, () => {
                assert.throws(
                    () => renderUncordonScript({ nodeName: NODE, kubeletVersion: version, readyWaitSeconds: 600 }),
                    new RegExp(`kubeletVersion "${version.replace(/\./g, "\\.")}" must be an exact kubelet version such as "v1\\.32\\.4"`),
                );
            });
        }

        it("rejects a zero readyWaitSeconds", () => {
            assert.throws(() => renderUncordonScript({ nodeName: NODE, readyWaitSeconds: 0 }), /readyWaitSeconds must be a positive whole number of seconds, got 0/);
        });
    });
});
