import { strict as assert } from "assert";
import { removalTimeBoundSeconds, renderRemoveNodeScript } from "../../../components/cluster/rendered/node-scripts";
import { DRAIN_BACKSTOP_SECONDS, KUBECTL_CALL_BOUND_SECONDS } from "../../../components/cluster/rendered/node-scripts-drain";
import { callIndex, ScriptRun, StubRule, withSandbox } from "../../support/scripts-sandbox";

const WORKER = "boutique-worker-3";
const exists = (node: string): StubRule => ({ match: `^kubectl .* get node ${node} --ignore-not-found -o name$`, stdout: `node/${node}\n` });
/** The Node's Ready condition as remove-node reads it after a failed drain. */
const readyIs = (node: string, status: string, heartbeat = new Date()): StubRule => ({
    match: `^kubectl .* get node ${node} --ignore-not-found -o jsonpath=`,
    stdout: `${node} ${status} ${heartbeat.toISOString().replace(/\.\d+Z$/, "Z")}`,
});
const drainFails: StubRule = { match: " drain ", exit: 1, stdout: "error: cannot evict pod as it would violate the pod's disruption budget\n" };
const drainHangs: StubRule = { match: " drain ", hang: true };
/** Calls without the kubeconfig flag, which every kubectl call carries. */
const plain = (run: ScriptRun): string[] => run.calls.map((call) => call.replace(/ --kubeconfig \S+/, ""));
const forceDelete = `kubectl delete pods --all-namespaces --field-selector spec.nodeName=${WORKER} --force --grace-period=0 --wait=false`;

describe("node scripts: remove-node", () => {
    describe("a worker (fake kubectl)", () => {
        const script = renderRemoveNodeScript({ nodeName: WORKER, drainTimeoutSeconds: 300 });

        it("cordons, drains with the timeout (evictions, never --disable-eviction), then deletes the Node", () => {
            withSandbox(["kubectl"], [exists(WORKER)], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(plain(run), [
                    `kubectl get node ${WORKER} --ignore-not-found -o name`,
                    `kubectl cordon ${WORKER}`,
                    `kubectl drain ${WORKER} --ignore-daemonsets --delete-emptydir-data --force --timeout=300s`,
                    `kubectl delete node ${WORKER} --ignore-not-found --wait=false`,
                ]);
            });
        });

        it("completes a dead node's removal (Ready Unknown, evictions hanging) within the drain timeout plus the backstop", () => {
            const drainTimeoutSeconds = 3;
            const dead = renderRemoveNodeScript({ nodeName: WORKER, drainTimeoutSeconds });
            withSandbox(["kubectl"], [exists(WORKER), readyIs(WORKER, "Unknown", new Date(Date.now() - 120_000)), drainHangs], (sandbox) => {
                const started = Date.now();
                const run = sandbox.run(dead);
                const seconds = (Date.now() - started) / 1000;
                assert.equal(run.status, 0, run.stderr);
                // The evictions were given their whole timeout, and the hung kubectl was stopped by
                // the backstop (TERM at timeout + 5 s); the instant fakes add almost nothing.
                assert.ok(seconds >= drainTimeoutSeconds, `ended after ${seconds}s, before the drain timeout`);
                assert.ok(seconds < drainTimeoutSeconds + 2 * DRAIN_BACKSTOP_SECONDS + 2, `took ${seconds}s`);
                assert.ok(seconds <= removalTimeBoundSeconds({ drainTimeoutSeconds }));
                assert.deepEqual(plain(run), [
                    `kubectl get node ${WORKER} --ignore-not-found -o name`,
                    `kubectl cordon ${WORKER}`,
                    `kubectl drain ${WORKER} --ignore-daemonsets --delete-emptydir-data --force --timeout=3s`,
                    `kubectl get node ${WORKER} --ignore-not-found -o jsonpath={.metadata.name}{range .status.conditions[?(@.type=="Ready")]}{" "}{.status}{" "}{.lastHeartbeatTime}{end}`,
                    forceDelete,
                    `kubectl delete node ${WORKER} --ignore-not-found --wait=false`,
                ]);
                assert.match(run.stderr, /node is unreachable: Ready is Unknown/);
                assert.match(run.stderr, /giving up evictions on node boutique-worker-3; force-deleting the pods still bound to it/);
            });
        });

        for (const [what, ready] of [
            ["Ready False", readyIs(WORKER, "False")],
            ["no Ready condition", { match: "-o jsonpath=", stdout: WORKER }],
            ["Ready True with an hour-old heartbeat (no controller marks it)", readyIs(WORKER, "True", new Date(Date.now() - 3_600_000))],
        ] as const) {
            it(`gives up evictions after a failed drain when the node shows ${what}`, () => {
                withSandbox(["kubectl"], [exists(WORKER), ready, drainFails], (sandbox) => {
                    const run = sandbox.run(script);
                    assert.equal(run.status, 0, run.stderr);
                    assert.deepEqual(plain(run).slice(4), [forceDelete, `kubectl delete node ${WORKER} --ignore-not-found --wait=false`]);
                    assert.equal(callIndex(run.calls, / uncordon /), -1);
                });
            });
        }

        it("keeps PodDisruptionBudgets for a Ready node: a blocked drain uncordons, deletes nothing and fails", () => {
            withSandbox(["kubectl"], [exists(WORKER), readyIs(WORKER, "True", new Date(Date.now() - 240_000)), drainFails], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.deepEqual(
                    plain(run).map((call) => call.split(" ")[1]),
                    ["get", "cordon", "drain", "get", "uncordon"],
                );
                assert.equal(callIndex(run.calls, / delete /), -1);
                assert.match(run.stderr, /removal of node boutique-worker-3 aborted: the drain failed; the node is back in service and its VM keeps running/);
            });
        });

        it("completes normally for a NotReady node whose pods evict fine (nothing forced)", () => {
            withSandbox(["kubectl"], [exists(WORKER), readyIs(WORKER, "False")], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(
                    plain(run).map((call) => call.split(" ")[1]),
                    ["get", "cordon", "drain", "delete"],
                );
                assert.equal(callIndex(run.calls, /--force --grace-period=0/), -1);
            });
        });

        it("exits 0 after only the lookup when the node does not exist", () => {
            withSandbox(["kubectl"], [], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(plain(run), [`kubectl get node ${WORKER} --ignore-not-found -o name`]);
                assert.match(run.stderr, /node boutique-worker-3 does not exist; nothing to drain or delete/);
            });
        });

        it("fails without touching the node when the API server does not answer", () => {
            withSandbox(["kubectl"], [{ match: " get node ", exit: 1 }], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.equal(run.calls.length, 1);
                assert.match(run.stderr, /the API server did not answer within 0s; node boutique-worker-3 left as it is/);
            });
        });

        it("forces nothing when the Ready condition cannot be read after a failed drain: uncordons and fails", () => {
            withSandbox(["kubectl"], [exists(WORKER), { match: "-o jsonpath=", exit: 1 }, drainFails], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.notEqual(callIndex(run.calls, / uncordon boutique-worker-3$/), -1);
                assert.equal(callIndex(run.calls, / delete /), -1);
                assert.match(run.stderr, /did not say whether the node is reachable/);
            });
        });

        it("finishes on a re-run a dead node's removal whose force-delete failed the first time", () => {
            const rules = [exists(WORKER), readyIs(WORKER, "Unknown"), drainFails];
            withSandbox(["kubectl"], [...rules, { match: " delete pods ", exit: 1 }], (sandbox) => {
                const first = sandbox.run(script);
                assert.equal(first.status, 1);
                assert.equal(callIndex(first.calls, / delete node /), -1);
                assert.match(first.stderr, /could not force-delete the pods of unreachable node boutique-worker-3; it stays cordoned; a re-run retries/);
                sandbox.setRules(rules);
                const second = sandbox.run(script);
                assert.equal(second.status, 0, second.stderr);
                assert.notEqual(callIndex(second.calls, / delete node boutique-worker-3 /), -1);
            });
        });
    });

    describe("a control plane (fake kubectl, crictl)", () => {
        const CP = "boutique-cp-2";
        const script = renderRemoveNodeScript({ nodeName: CP, drainTimeoutSeconds: 300, controlPlane: true });
        const member = (id: string, name: string) => `${id}, started, ${name}, https://10.0.0.${id.length}:2380, https://10.0.0.${id.length}:2379, false\n`;
        const threeMembers = member("8e9e05c52164694d", "boutique-cp-0") + member("91bc3c398fb3c146", "boutique-cp-1") + member("fd422379fda50e48", CP);
        const etcd = (members: string, localId = "8e9e05c52164694d"): StubRule[] => [
            { match: "^crictl ps --name \\^etcd\\$ -q$", stdout: "c0ffee12\n" },
            { match: "^crictl exec c0ffee12 etcdctl .* member list -w simple$", stdout: members },
            {
                match: "^crictl exec c0ffee12 etcdctl .* endpoint status -w simple$",
                stdout: `https://127.0.0.1:2379, ${localId}, 3.5.16, 20 MB, true, false, 7, 900, 900, \n`,
            },
        ];
        const tools = ["kubectl", "crictl"];
        const removals = (run: ScriptRun) => run.calls.filter((call) => call.includes(" member remove "));

        it("checks etcd first, removes the Node, then removes its etcd member by the id listed under exactly its name", () => {
            const withLookalike = member("0a1b2c3d4e5f6071", `${CP}0`) + threeMembers;
            withSandbox(tools, [exists(CP), ...etcd(withLookalike)], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(
                    plain(run).map((call) => call.replace(/ --endpoints .* --key \S+/, " <local etcd>")),
                    [
                        `kubectl get node ${CP} --ignore-not-found -o name`,
                        "crictl ps --name ^etcd$ -q",
                        "crictl exec c0ffee12 etcdctl <local etcd> member list -w simple",
                        "crictl exec c0ffee12 etcdctl <local etcd> endpoint status -w simple",
                        `kubectl cordon ${CP}`,
                        `kubectl drain ${CP} --ignore-daemonsets --delete-emptydir-data --force --timeout=300s`,
                        `kubectl delete node ${CP} --ignore-not-found --wait=false`,
                        "crictl exec c0ffee12 etcdctl <local etcd> member remove fd422379fda50e48",
                    ],
                );
                assert.match(
                    run.calls[2],
                    / --endpoints https:\/\/127\.0\.0\.1:2379 --cacert \/etc\/kubernetes\/pki\/etcd\/ca\.crt --cert \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt --key \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.key /,
                );
                assert.match(run.stderr, /etcd member fd422379fda50e48 \(boutique-cp-2\) removed/);
            });
        });

        it("is idempotent: no Node and no member left is done, without a removal", () => {
            withSandbox(tools, etcd(member("8e9e05c52164694d", "boutique-cp-0") + member("91bc3c398fb3c146", "boutique-cp-1")), (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(removals(run), []);
                assert.equal(callIndex(run.calls, /^kubectl (?!.* get node )/), -1);
                assert.match(run.stderr, /etcd has no member named boutique-cp-2 \(already removed\)/);
            });
        });

        it("finishes a partial removal: the Node is gone but the member is still listed", () => {
            withSandbox(tools, etcd(threeMembers), (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.equal(removals(run).length, 1);
                assert.match(removals(run)[0], / member remove fd422379fda50e48$/);
            });
        });

        it("counts a member that another run removed meanwhile as removed", () => {
            const [ps, , status] = etcd(threeMembers);
            const listedOnce: StubRule = { match: " member list ", stdout: threeMembers, times: 1 };
            const listedAfter: StubRule = { match: " member list ", stdout: member("8e9e05c52164694d", "boutique-cp-0") };
            withSandbox(tools, [ps, listedOnce, listedAfter, status, { match: " member remove ", exit: 1 }], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.match(run.stderr, /etcd member fd422379fda50e48 \(boutique-cp-2\) was already removed/);
            });
        });

        it("fails when etcd refuses the removal and still lists the member", () => {
            withSandbox(tools, [...etcd(threeMembers), { match: " member remove ", exit: 1 }], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.match(run.stderr, /etcd refused to remove member fd422379fda50e48 \(boutique-cp-2\)/);
            });
        });

        for (const [what, rules, message] of [
            [
                "its own member (the control plane it runs on)",
                etcd(threeMembers, "fd422379fda50e48"),
                /refusing to remove etcd member fd422379fda50e48 \(boutique-cp-2\): it is the member of the control plane this script runs on/,
            ],
            [
                "the last member",
                etcd(member("fd422379fda50e48", CP)),
                /refusing to remove etcd member fd422379fda50e48 \(boutique-cp-2\): it is the last member/,
            ],
            ["anything without a running etcd container", [{ match: "^crictl ps ", stdout: "" }], /no running etcd container on this control plane/],
        ] as const) {
            it(`refuses to remove ${what}, before the node is cordoned`, () => {
                withSandbox(tools, [exists(CP), ...rules], (sandbox) => {
                    const run = sandbox.run(script);
                    assert.equal(run.status, 1);
                    assert.match(run.stderr, message);
                    assert.equal(callIndex(run.calls, / (cordon|drain|delete) /), -1);
                    assert.deepEqual(removals(run), []);
                });
            });
        }
    });

    describe("time bound", () => {
        it("is the drain timeout, the backstop's two margins and every other call at its own bound", () => {
            assert.equal(removalTimeBoundSeconds({ drainTimeoutSeconds: 300 }), 300 + 2 * DRAIN_BACKSTOP_SECONDS + 5 * KUBECTL_CALL_BOUND_SECONDS);
            assert.equal(
                removalTimeBoundSeconds({ drainTimeoutSeconds: 300, controlPlane: true }),
                300 + 2 * DRAIN_BACKSTOP_SECONDS + 10 * KUBECTL_CALL_BOUND_SECONDS,
            );
            assert.match(renderRemoveNodeScript({ nodeName: WORKER, drainTimeoutSeconds: 300 }), /Ends within 420 s once the API server answers/);
        });
    });
});
