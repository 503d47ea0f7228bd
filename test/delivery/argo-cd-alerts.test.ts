import { strict as assert } from "assert";
import { stringify } from "yaml";
import { argoCdRuleGroup } from "../../components/delivery/argo-cd-alerts";
import { renderRuleFile } from "../../components/platform/alert-rules";
import { firingIn, promtool, series } from "../support/promtool";
import { requireTool } from "../support/tools";

/** The Argo CD alerts, checked and unit-tested by the real promtool on series shaped like the controller's metrics. */
describe("Argo CD's alerts (promtool)", () => {
    const group = argoCdRuleGroup();
    const firing = firingIn([group]);
    const app = { name: "online-boutique", namespace: "argocd", project: "online-boutique" };
    const synced = { ...app, sync_status: "Synced", health_status: "Healthy" };
    const outOfSync = { ...app, sync_status: "OutOfSync", health_status: "Healthy" };
    const progressing = { ...app, sync_status: "Synced", health_status: "Progressing" };
    const degraded = { ...app, sync_status: "Synced", health_status: "Degraded" };

    const unitTests = {
        rule_files: ["rules.yaml"],
        evaluation_interval: "1m",
        tests: [
            {
                interval: "1m",
                input_series: [
                    // Synced and Healthy for 5 minutes, then OutOfSync from 5m on (another series: the label changed).
                    { series: series("argocd_app_info", synced), values: "1x4 stale" },
                    { series: series("argocd_app_info", outOfSync), values: "_x5 1x30" },
                ],
                alert_rule_test: [
                    { eval_time: "4m", alertname: "ArgoCdAppOutOfSync", exp_alerts: [] },
                    { eval_time: "19m", alertname: "ArgoCdAppOutOfSync", exp_alerts: [] },
                    { eval_time: "20m", alertname: "ArgoCdAppOutOfSync", exp_alerts: [firing("ArgoCdAppOutOfSync", outOfSync)] },
                    { eval_time: "20m", alertname: "ArgoCdAppUnhealthy", exp_alerts: [] },
                ],
            },
            {
                interval: "1m",
                input_series: [
                    // A canary's rollout reads Progressing for a long time: never an alert. Degraded from 10m on.
                    { series: series("argocd_app_info", progressing), values: "1x9 stale" },
                    { series: series("argocd_app_info", degraded), values: "_x10 1x30" },
                    // Syncs: succeeded ones count up all along, one failure at 3m.
                    { series: series("argocd_app_sync_total", { ...app, phase: "Succeeded" }), values: "0+1x40" },
                    { series: series("argocd_app_sync_total", { ...app, phase: "Failed" }), values: "0 0 0 1x40" },
                ],
                alert_rule_test: [
                    { eval_time: "9m", alertname: "ArgoCdAppUnhealthy", exp_alerts: [] },
                    { eval_time: "24m", alertname: "ArgoCdAppUnhealthy", exp_alerts: [] },
                    { eval_time: "25m", alertname: "ArgoCdAppUnhealthy", exp_alerts: [firing("ArgoCdAppUnhealthy", degraded)] },
                    { eval_time: "2m", alertname: "ArgoCdSyncFailed", exp_alerts: [] },
                    { eval_time: "4m", alertname: "ArgoCdSyncFailed", exp_alerts: [firing("ArgoCdSyncFailed", { ...app, phase: "Failed" })] },
                    // Ten minutes after the failure the increase is 0 again.
                    { eval_time: "20m", alertname: "ArgoCdSyncFailed", exp_alerts: [] },
                ],
            },
        ],
    };

    it("is a valid rule file (promtool check rules)", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const result = promtool(["check", "rules", "rules.yaml"], { "rules.yaml": renderRuleFile([group]) });
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /SUCCESS: 3 rules found/);
    });

    it("fires ArgoCdAppOutOfSync, ArgoCdAppUnhealthy and ArgoCdSyncFailed exactly when due, never on Progressing or a succeeded sync", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const result = promtool(["test", "rules", "tests.yaml"], {
            "rules.yaml": renderRuleFile([group]),
            "tests.yaml": stringify(unitTests, { lineWidth: 0 }),
        });
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /SUCCESS/);
    });

    it("fails when an alert is expected too early (the unit test can fail)", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const tooEarly = structuredClone(unitTests);
        tooEarly.tests[0].alert_rule_test = [{ eval_time: "19m", alertname: "ArgoCdAppOutOfSync", exp_alerts: [firing("ArgoCdAppOutOfSync", outOfSync)] }];
        const result = promtool(["test", "rules", "tests.yaml"], {
            "rules.yaml": renderRuleFile([group]),
            "tests.yaml": stringify(tooEarly, { lineWidth: 0 }),
        });
        assert.notEqual(result.status, 0, result.output);
        assert.match(result.output, /ArgoCdAppOutOfSync/);
    });
});
