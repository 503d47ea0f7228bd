import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AlertRule, RuleGroup } from "../../components/platform/alert-rules";

/** Runs the real promtool in a fresh temp dir holding `files`; returns its exit status and output. */
export function promtool(args: string[], files: Record<string, string>): { status: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
    try {
        for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
        const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The annotations Prometheus renders for an alert with these labels (only $labels.X templates). */
export function expandAnnotations(rule: AlertRule, labels: Record<string, string>): Record<string, string> {
    const expand = (text: string) =>
        text.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => {
            assert.ok(name in labels, `annotation of ${rule.alert} uses $labels.${name}, absent from the test alert`);
            return labels[name];
        });
    assert.doesNotMatch(JSON.stringify(rule.annotations), /\$value/, `${rule.alert}'s annotations cannot be expanded by this helper`);
    return Object.fromEntries(Object.entries(rule.annotations).map(([key, value]) => [key, expand(value)]));
}

/** A series selector for promtool's input_series: metric{label="value",...}. */
export function series(metric: string, labels: Record<string, string>): string {
    return `${metric}{${Object.entries(labels)
        .map(([name, value]) => `${name}="${value}"`)
        .join(",")}}`;
}

/** One expected firing alert of `groups` for promtool's alert_rule_test: the series' labels plus the rule's, annotations expanded. */
export function firingIn(
    groups: readonly RuleGroup[],
): (alert: string, seriesLabels: Record<string, string>) => { exp_labels: Record<string, string>; exp_annotations: Record<string, string> } {
    return (alert, seriesLabels) => {
        const rule = groups.flatMap((group) => group.rules).find((candidate) => candidate.alert === alert);
        assert.ok(rule, `${alert} missing`);
        const labels = { ...seriesLabels, ...rule.labels };
        return { exp_labels: labels, exp_annotations: expandAnnotations(rule, labels) };
    };
}
