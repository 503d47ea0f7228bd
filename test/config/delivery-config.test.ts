import { strict as assert } from "assert";
import { SEED_DELIVERY } from "../../config/delivery-config";
import { StackConfigError } from "../../config/stack-config";
import { devConfig } from "../fixtures";

const withDelivery = (delivery: unknown, extra: Record<string, string> = {}) => devConfig({ delivery: JSON.stringify(delivery), ...extra }).delivery;

function problemsOf(delivery: unknown, extra: Record<string, string> = {}): readonly string[] {
    try {
        withDelivery(delivery, extra);
    } catch (error) {
        if (error instanceof StackConfigError) return error.problems;
        throw error;
    }
    assert.fail(`accepted ${JSON.stringify(delivery)}`);
}

describe("delivery config (Flagger)", () => {
    it("defaults to the seed's canary, number for number", () => {
        const seed = devConfig().delivery;
        assert.deepEqual(seed, SEED_DELIVERY);
        assert.deepEqual(
            [
                seed.strategy,
                seed.interval,
                seed.threshold,
                seed.maxWeight,
                seed.stepWeight,
                seed.progressDeadlineSeconds,
                seed.metrics.minSuccessRate,
                seed.metrics.maxLatencyMs,
            ],
            ["canary", "30s", 10, 25, 2, 60, 99, 500],
        );
    });

    it("merges a partial object over the seed's values", () => {
        const gradual = withDelivery({ stepWeights: [1, 2, 5, 10, 25], metrics: { maxLatencyMs: 300 } });
        assert.deepEqual(gradual.stepWeights, [1, 2, 5, 10, 25]);
        assert.equal(gradual.metrics.maxLatencyMs, 300);
        assert.equal(gradual.metrics.minSuccessRate, 99);
        assert.equal(gradual.interval, "30s");
    });

    it("reads the A/B and blue/green strategies", () => {
        const ab = withDelivery({
            strategy: "ab",
            iterations: 20,
            match: [{ header: "x-canary", exact: "beta" }, { cookie: "^(.*?;)?(canary=always)(;.*)?$" }],
        });
        assert.deepEqual([ab.strategy, ab.iterations, ab.match.length], ["ab", 20, 2]);
        const blueGreen = withDelivery({ strategy: "bluegreen", iterations: 5, mirror: true });
        assert.deepEqual([blueGreen.strategy, blueGreen.iterations, blueGreen.mirror], ["bluegreen", 5, true]);
    });

    it("keeps the alert webhook URL out of every message", () => {
        const url = "https://hooks.slack.com/services/T000/B000/SECRET";
        const problems = problemsOf({}, { deliveryAlertWebhookUrl: url });
        assert.deepEqual(problems, [
            "boutique-platform:deliveryAlertWebhookUrl ([secret]): is set but delivery.alerting is not: say which provider receives the alerts",
        ]);
        assert.equal(withDelivery({ alerting: { provider: "slack", channel: "#releases" } }, { deliveryAlertWebhookUrl: url }).alertWebhookUrl, url);
    });

    it("accepts the URL as an offline read of an encrypted value gives it (render and tests cannot decrypt), and still refuses plain text that is not https", () => {
        const alerting = { alerting: { provider: "slack", channel: "#releases" } };
        assert.equal(withDelivery(alerting, { deliveryAlertWebhookUrl: "[secret]" }).alertWebhookUrl, "[secret]");
        assert.deepEqual(problemsOf(alerting, { deliveryAlertWebhookUrl: "http://hooks.example.com/x" }), [
            "boutique-platform:deliveryAlertWebhookUrl ([secret]): must be an https:// webhook URL",
        ]);
    });

    const bad: [string, unknown, RegExp][] = [
        ["an unknown strategy", { strategy: "rolling" }, /delivery\.strategy must be one of canary, ab, bluegreen/],
        ["stepWeight above maxWeight", { stepWeight: 30, maxWeight: 25 }, /delivery\.stepWeight 30 must not exceed delivery\.maxWeight \(25\)/],
        ["ab without a match", { strategy: "ab" }, /delivery\.match must name who gets the new version for strategy ab/],
        ["a threshold out of range", { threshold: 0 }, /delivery\.threshold must be from 1 to 100/],
        ["a success rate above 100%", { metrics: { minSuccessRate: 101 } }, /delivery\.metrics\.minSuccessRate must be from 0 to 100/],
        ["weights that do not increase", { stepWeights: [5, 5, 10] }, /delivery\.stepWeights must increase step by step \(got 5, 5, 10\)/],
        ["weights past maxWeight", { stepWeights: [10, 50] }, /delivery\.stepWeights must stay within delivery\.maxWeight \(25\)/],
        ["a bad weight in the list", { stepWeights: [1, 200] }, /delivery\.stepWeights\[1\] must be from 1 to 100/],
        ["weights with blue/green", { strategy: "bluegreen", stepWeight: 5 }, /delivery\.stepWeight applies to strategy canary only \(strategy is bluegreen\)/],
        ["a match outside ab", { match: [{ header: "x-canary", exact: "beta" }] }, /delivery\.match applies to strategy ab only/],
        [
            "a header rule with two matchers",
            { strategy: "ab", match: [{ header: "x-canary", exact: "a", prefix: "b" }] },
            /exactly one of exact, prefix, regex/,
        ],
        ["a bad interval", { interval: "30" }, /delivery\.interval must be a duration such as "30s" or "1m"/],
        ["an unknown field", { stepweight: 5 }, /delivery has unknown field\(s\) stepweight/],
        [
            "alerting without its URL",
            { alerting: { provider: "slack" } },
            /deliveryAlertWebhookUrl \(not set\): must be set \(as a secret\) when delivery\.alerting sends to slack/,
        ],
        ["not an object", "canary", /^boutique-platform:delivery: delivery must be an object/],
    ];
    for (const [what, delivery, message] of bad) {
        it(`rejects ${what}, naming the field`, () => {
            const problems = problemsOf(delivery);
            assert.ok(
                problems.some((problem) => message.test(problem)),
                problems.join("\n"),
            );
            assert.ok(
                problems.every((problem) => problem.startsWith("boutique-platform:delivery")),
                problems.join("\n"),
            );
        });
    }
});
