import { strict as assert } from "assert";
import { parse, stringify } from "yaml";
import { AlertRule, AlertRuleOptions, platformRuleGroups, prometheusRuleObject, renderRuleFile, RuleGroup } from "../../components/platform/alert-rules";
import { requireTool } from "../support/tools";
import { firingIn, promtool, series } from "../support/promtool";

const ALL_OPTIONS: AlertRuleOptions[] = [
    { logging: false, haproxyScraped: false },
    { logging: true, haproxyScraped: false },
    { logging: false, haproxyScraped: true },
    { logging: true, haproxyScraped: true },
];

const optionsName = (o: AlertRuleOptions) => `logging=${o.logging}, haproxyScraped=${o.haproxyScraped}`;

function findRule(groups: RuleGroup[], alert: string): { group: string; rule: AlertRule } | undefined {
    for (const group of groups) {
        const found = group.rules.find((r) => r.alert === alert);
        if (found) return { group: group.name, rule: found };
    }
    return undefined;
}

describe("platform alert rules", () => {
    // Table: every required alert, its group, expression, duration and severity.
    const required: { alert: string; group: string; expr: string | RegExp; for: string; severity: string; when?: keyof AlertRuleOptions }[] = [
        { alert: "CanaryRolledBack", group: "flagger", expr: "flagger_canary_status > 1", for: "1m", severity: "warning" },
        {
            alert: "PodsUnschedulable",
            group: "scheduling",
            expr: "sum by (namespace, pod) (kube_pod_status_unschedulable) > 0",
            for: "5m",
            severity: "warning",
        },
        { alert: "NodeNotReady", group: "nodes", expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0', for: "5m", severity: "critical" },
        {
            alert: "LokiIngestionErrors",
            group: "loki",
            expr: /loki_request_duration_seconds_count\{route=~"api_prom_push\|loki_api_v1_push\|otlp_v1_logs", status_code=~"5\.\."\}.*\/.*loki_request_duration_seconds_count\{route=~"api_prom_push\|loki_api_v1_push\|otlp_v1_logs"\}.*> 0\.05$/,
            for: "10m",
            severity: "critical",
            when: "logging",
        },
        {
            alert: "LokiDiscardingSamples",
            group: "loki",
            expr: /rate\(loki_discarded_samples_total\[5m\]\)\) > 0$/,
            for: "15m",
            severity: "warning",
            when: "logging",
        },
        {
            alert: "LokiCompactionStale",
            group: "loki",
            expr: /^time\(\) - max by \(namespace\) \(loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds > 0\) > 2 \* 60 \* 60$/,
            for: "10m",
            severity: "warning",
            when: "logging",
        },
        { alert: "HaproxyBackendDown", group: "haproxy", expr: "haproxy_backend_active_servers == 0", for: "1m", severity: "critical", when: "haproxyScraped" },
        {
            alert: "HaproxyServerDown",
            group: "haproxy",
            expr: 'haproxy_server_status{state="DOWN"} == 1',
            for: "1m",
            severity: "warning",
            when: "haproxyScraped",
        },
    ];

    for (const options of ALL_OPTIONS) {
        describe(optionsName(options), () => {
            const groups = platformRuleGroups(options);

            for (const want of required) {
                const enabled = want.when === undefined || options[want.when];
                it(`${enabled ? "has" : "omits"} ${want.alert}`, () => {
                    const found = findRule(groups, want.alert);
                    if (!enabled) {
                        assert.equal(found, undefined);
                        return;
                    }
                    assert.ok(found, `${want.alert} missing`);
                    assert.equal(found.group, want.group);
                    if (typeof want.expr === "string") assert.equal(found.rule.expr, want.expr);
                    else assert.match(found.rule.expr, want.expr);
                    assert.equal(found.rule.for, want.for);
                    assert.equal(found.rule.labels.severity, want.severity);
                });
            }

            it("has the loki and haproxy groups only when enabled", () => {
                const names = groups.map((g) => g.name);
                assert.deepEqual(names, [
                    "flagger",
                    "scheduling",
                    "nodes",
                    ...(options.logging ? ["loki"] : []),
                    ...(options.haproxyScraped ? ["haproxy"] : []),
                ]);
            });

            it("gives every rule a severity, a summary and a description, and unique alert names", () => {
                const rules = groups.flatMap((g) => g.rules);
                for (const r of rules) {
                    assert.ok(["warning", "critical"].includes(r.labels.severity), `${r.alert}: severity ${r.labels.severity}`);
                    assert.ok(r.annotations.summary.trim().length > 0, `${r.alert}: no summary`);
                    assert.ok(r.annotations.description.trim().length > 0, `${r.alert}: no description`);
                }
                assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length);
            });
        });
    }

    it("uses the canary's name and namespace labels in CanaryRolledBack's annotations", () => {
        const found = findRule(platformRuleGroups({ logging: false, haproxyScraped: false }), "CanaryRolledBack");
        assert.ok(found);
        for (const text of [found.rule.annotations.summary, found.rule.annotations.description]) {
            assert.match(text, /\{\{ \$labels\.name \}\}/);
            assert.match(text, /\{\{ \$labels\.namespace \}\}/);
        }
    });

    it("renders a rule file that parses back to the same groups", () => {
        const groups = platformRuleGroups({ logging: true, haproxyScraped: true });
        assert.deepEqual(parse(renderRuleFile(groups)), { groups });
    });

    it("wraps the groups in a PrometheusRule", () => {
        const groups = platformRuleGroups({ logging: true, haproxyScraped: false });
        const object = prometheusRuleObject("platform-alerts", "monitoring", groups);
        assert.equal(object.apiVersion, "monitoring.coreos.com/v1");
        assert.equal(object.kind, "PrometheusRule");
        assert.deepEqual(object.metadata, { name: "platform-alerts", namespace: "monitoring", labels: { "app.kubernetes.io/part-of": "boutique-platform" } });
        assert.deepEqual(object.spec, { groups });
    });
});

describe("promtool check rules", () => {
    for (const options of ALL_OPTIONS) {
        it(`accepts the rule file with ${optionsName(options)}`, function () {
            requireTool(this, "promtool", "apt-get install prometheus");
            const check = promtool(["check", "rules", "rules.yaml"], { "rules.yaml": renderRuleFile(platformRuleGroups(options)) });
            assert.equal(check.status, 0, check.output);
            assert.match(check.output, /SUCCESS/);
        });
    }

    it("rejects a broken expression (the check can fail)", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const groups = platformRuleGroups({ logging: false, haproxyScraped: false });
        groups[0].rules[0].expr = "flagger_canary_status >";
        const check = promtool(["check", "rules", "rules.yaml"], { "rules.yaml": renderRuleFile(groups) });
        assert.notEqual(check.status, 0);
    });
});

describe("promtool test rules", () => {
    const groups = platformRuleGroups({ logging: true, haproxyScraped: true });
    /** One expected alert: the series' labels plus the rule's, annotations expanded. */
    const firing = firingIn(groups);

    const canary = { name: "checkoutservice", namespace: "boutique" };
    const node = { node: "boutique-worker-0", condition: "Ready", status: "true" };
    const pod = { namespace: "boutique", pod: "cartservice-7d4b9c-x2k9q" };
    const backend = { proxy: "ingress_https" };
    const server = { proxy: "ingress_https", server: "worker-1" };
    const discarded = { namespace: "logging", tenant: "fake", reason: "rate_limited" };
    const COMPACTED = "loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds";

    const unitTests = {
        rule_files: ["rules.yaml"],
        evaluation_interval: "1m",
        tests: [
            {
                interval: "1m",
                input_series: [
                    // Progressing (0), then succeeded (1) for 5m, then failed (2) from 7m on.
                    { series: series("flagger_canary_status", canary), values: "0 0 1 1 1 1 1 2 2 2 2" },
                    // Ready until 2m, then not Ready.
                    { series: series("kube_node_status_condition", node), values: "1 1 0x12" },
                    // Unschedulable from 1m on (the rule sums the uid label away).
                    { series: series("kube_pod_status_unschedulable", { ...pod, uid: "u-1" }), values: "0 1x12" },
                ],
                alert_rule_test: [
                    // Status 1 (succeeded) never fires, however long it lasts.
                    { eval_time: "6m", alertname: "CanaryRolledBack", exp_alerts: [] },
                    // Status 2 since 7m: pending at 7m, firing once `for: 1m` has passed.
                    { eval_time: "7m", alertname: "CanaryRolledBack", exp_alerts: [] },
                    { eval_time: "8m", alertname: "CanaryRolledBack", exp_alerts: [firing("CanaryRolledBack", canary)] },
                    // Not Ready since 2m: still pending 4m later, firing after 5m.
                    { eval_time: "6m", alertname: "NodeNotReady", exp_alerts: [] },
                    { eval_time: "7m", alertname: "NodeNotReady", exp_alerts: [firing("NodeNotReady", node)] },
                    // Unschedulable since 1m: not at 4m of it (5m), firing at 5m of it (6m).
                    { eval_time: "5m", alertname: "PodsUnschedulable", exp_alerts: [] },
                    { eval_time: "6m", alertname: "PodsUnschedulable", exp_alerts: [firing("PodsUnschedulable", pod)] },
                ],
            },
            {
                interval: "1m",
                input_series: [
                    // The ingress backend loses its last server at 2m; one server's state goes UP -> DOWN then.
                    { series: series("haproxy_backend_active_servers", backend), values: "2 2 0x10" },
                    { series: series("haproxy_server_status", { ...server, state: "UP" }), values: "1 1 0x10" },
                    { series: series("haproxy_server_status", { ...server, state: "DOWN" }), values: "0 0 1x10" },
                    // Tenant fake has lines discarded from the start.
                    { series: series("loki_discarded_samples_total", discarded), values: "0+5x40" },
                    // The compactor leader last compacted at t=60s; a non-leader reports 0. In another
                    // namespace only a non-leader reports: no leader series, no verdict (the > 0 filter).
                    { series: series(COMPACTED, { namespace: "logging", pod: "loki-backend-0" }), values: "60x140" },
                    { series: series(COMPACTED, { namespace: "logging", pod: "loki-backend-1" }), values: "0x140" },
                    { series: series(COMPACTED, { namespace: "logging-b", pod: "loki-backend-1" }), values: "0x140" },
                ],
                alert_rule_test: [
                    // No server since 2m: pending at 2m, firing at 3m (for: 1m).
                    { eval_time: "2m", alertname: "HaproxyBackendDown", exp_alerts: [] },
                    { eval_time: "3m", alertname: "HaproxyBackendDown", exp_alerts: [firing("HaproxyBackendDown", backend)] },
                    { eval_time: "3m", alertname: "HaproxyServerDown", exp_alerts: [firing("HaproxyServerDown", { ...server, state: "DOWN" })] },
                    // Discarding since 1m (the first rate): not yet at 15m, firing once 15m have passed.
                    { eval_time: "15m", alertname: "LokiDiscardingSamples", exp_alerts: [] },
                    {
                        eval_time: "17m",
                        alertname: "LokiDiscardingSamples",
                        exp_alerts: [firing("LokiDiscardingSamples", { namespace: "logging", tenant: "fake", reason: "rate_limited" })],
                    },
                    // 2 h after the leader's last run (t = 7260 s, first evaluated at 122m), then 10m pending.
                    { eval_time: "125m", alertname: "LokiCompactionStale", exp_alerts: [] },
                    { eval_time: "135m", alertname: "LokiCompactionStale", exp_alerts: [firing("LokiCompactionStale", { namespace: "logging" })] },
                ],
            },
        ],
    };

    it("fires CanaryRolledBack, NodeNotReady, PodsUnschedulable, the HAProxy alerts, LokiDiscardingSamples and LokiCompactionStale exactly when due", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const result = promtool(["test", "rules", "tests.yaml"], {
            "rules.yaml": renderRuleFile(groups),
            "tests.yaml": stringify(unitTests, { lineWidth: 0 }),
        });
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /SUCCESS/);
    });

    it("fails when an alert is expected too early (the unit test can fail)", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const tooEarly = structuredClone(unitTests);
        // PodsUnschedulable at 4m of unschedulability: pending, not firing.
        tooEarly.tests[0].alert_rule_test = [{ eval_time: "5m", alertname: "PodsUnschedulable", exp_alerts: [firing("PodsUnschedulable", pod)] }];
        const result = promtool(["test", "rules", "tests.yaml"], { "rules.yaml": renderRuleFile(groups), "tests.yaml": stringify(tooEarly, { lineWidth: 0 }) });
        assert.notEqual(result.status, 0, result.output);
        assert.match(result.output, /PodsUnschedulable/);
    });
});
