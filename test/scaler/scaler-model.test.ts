import { strict as assert } from "assert";
import { PoolState } from "../../scaler/node-group";
import { devConfigMap } from "../fixtures";
import { ScalerProcess, seeded } from "../support/ca-model";
import { ModelResult, runModel } from "../support/ca-driver";

const SEEDS = Array.from({ length: 12 }, (_, i) => 1000 + i);
const STEPS = 400;
/** A scale update (VM, node preparation, join) takes 3-7 minutes; the stack expects at most 8 (autoscaler.scaleUpdateMinutes). */
const UPDATE_SECONDS: [number, number] = [180, 420];

const CONFIG = devConfigMap({ maxWorkers: "8", workerCount: "2" });

/** Each rule the scaler keeps, broken on purpose, and the violation the model must report. */
const SABOTAGES: [string, (process: ScalerProcess) => void, RegExp][] = [
    [
        "slots handed out ignoring the deployed state (the scaler's old rule): a node the autoscaler deleted comes back",
        ({ service }) => {
            const mutate = service.mutate.bind(service);
            service.mutate = (compute, expired) => mutate((state: PoolState) => compute({ ...state, deployed: state.desired, unsettled: [] }), expired);
        },
        /deleted at .* is listed instance(Creating|Running) before it was gone/,
    ],
    [
        "an update's possible VMs forgotten: a repeated DeleteNodes is refused (the autoscaler would untaint a draining node)",
        ({ service }) => {
            const mutate = service.mutate.bind(service);
            service.mutate = (compute, expired) => mutate((state: PoolState) => compute({ ...state, unsettled: [] }), expired);
        },
        /a repeated DeleteNodes of .* \(Deleting\) was refused/,
    ],
    [
        "deadlines ignored: a request the autoscaler gave up on is applied",
        ({ service }) => {
            const mutate = service.mutate.bind(service);
            service.mutate = (compute) => mutate(compute, () => false);
        },
        /past its deadline was applied/,
    ],
    [
        "no provision deadline: a worker held up by another update's lock stays Creating past its budget",
        ({ service }) => {
            const instances = service.instances.bind(service);
            service.instances = (id) =>
                instances(id).map((instance) => (instance.error?.code === "provision-timeout" ? { ...instance, error: undefined } : instance));
        },
        /still reported Creating .* past its budget/,
    ],
    [
        "failures kept from the autoscaler: no InstanceErrorInfo after a failed update",
        ({ service }) => {
            const instances = service.instances.bind(service);
            service.instances = (id) =>
                instances(id).map((instance) => (instance.error?.code === "update-failed" ? { ...instance, error: undefined } : instance));
        },
        /is Creating without an error after its update failed/,
    ],
];

describe("the scaler under the Cluster Autoscaler's loop (a seeded model of CA 1.32's calls, clocks and retries)", function () {
    this.timeout(120_000);
    const results: ModelResult[] = [];

    for (const seed of SEEDS) {
        it(`seed ${seed}: ${STEPS} loops of calls, update endings, failures and restarts break no invariant`, async () => {
            const result = await runModel(CONFIG, seeded(seed), { seed, steps: STEPS, updateSeconds: UPDATE_SECONDS });
            results.push(result);
            assert.deepEqual(result.violations, []);
            assert.ok(result.updates > 10, `the sequence exercised the scaler (${result.updates} update attempts)`);
        });
    }

    it("in all: the step count, calls, restarts, and the worst time a joining worker was reported Creating over its budget (below 1)", () => {
        assert.equal(results.length, SEEDS.length);
        const total = (pick: (r: ModelResult) => number) => results.reduce((sum, r) => sum + pick(r), 0);
        const worst = Math.max(...results.map((r) => r.worstCreatingRatio));
        console.log(
            `      seeds ${SEEDS[0]}-${SEEDS[SEEDS.length - 1]}: ${total((r) => r.steps)} loops, ${total((r) => r.calls)} calls, ${total((r) => r.updates)} update attempts, ` +
                `${total((r) => r.restarts)} restarts, ${total((r) => r.joined)} joins; worst Creating/budget ${worst.toFixed(3)}; violations ${total((r) => r.violations.length)}`,
        );
        assert.ok(total((r) => r.joined) >= 50, "enough workers joined to measure");
        assert.ok(worst > 0 && worst < 1, `worst ratio ${worst}`);
    });

    it("catches a broken rule: request times forgotten at a restart, so a worker asked for before it stays Creating past its budget", async () => {
        const violations: string[] = [];
        for (const seed of SEEDS)
            violations.push(
                ...(await runModel(CONFIG, seeded(seed), { seed, steps: STEPS, updateSeconds: UPDATE_SECONDS, forgetRequestTimes: true })).violations,
            );
        console.log(`      ${violations.length} violation(s), first: ${violations[0]}`);
        assert.ok(
            violations.some((violation) => /still reported Creating .* past its budget/.test(violation)),
            violations.join("\n") || "no violation",
        );
    });

    for (const [rule, sabotage, caught] of SABOTAGES) {
        it(`catches a broken rule: ${rule}`, async () => {
            const violations: string[] = [];
            for (const seed of SEEDS.slice(0, 4))
                violations.push(...(await runModel(CONFIG, seeded(seed), { seed, steps: STEPS, updateSeconds: UPDATE_SECONDS, sabotage })).violations);
            console.log(`      ${violations.length} violation(s), first: ${violations[0]}`);
            assert.ok(
                violations.some((violation) => caught.test(violation)),
                violations.join("\n") || "no violation",
            );
        });
    }
});
