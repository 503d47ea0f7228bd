import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { businessEventsDashboard, flaggerCanaryDashboard, lokiLogsDashboard, platformDashboards } from "../../components/platform/dashboards";
import { Dashboard } from "../../components/platform/dashboard-panels";
import { DashboardDatasources } from "../../components/platform/dashboard-panels";
import { requireTool } from "../support/tools";

// Distinct from the production uids, so a hard-coded uid would show.
const ds: DashboardDatasources = { prometheusUid: "prom-under-test", lokiUid: "loki-under-test" };
const all = platformDashboards(ds, { logging: true });
const dashboards = Object.values(all);

const BUSINESS_SERVICES = ["checkoutservice", "paymentservice", "cartservice", "currencyservice"];

function rectanglesOverlap(a: Dashboard["panels"][number]["gridPos"], b: Dashboard["panels"][number]["gridPos"]): boolean {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe("platform dashboards", () => {
    it("installs the Loki dashboards only when logs are collected", () => {
        assert.deepEqual(Object.keys(platformDashboards(ds, { logging: false })).sort(), ["flagger-canary"]);
        assert.deepEqual(Object.keys(all).sort(), ["business-events", "flagger-canary", "loki-logs"]);
    });

    it("keys dashboards by file-safe names (they become ConfigMap names and file names)", () => {
        for (const name of Object.keys(all)) assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    });

    it("gives every dashboard a unique uid (at most 40 characters) and a unique title", () => {
        const uids = dashboards.map((d) => d.uid);
        const titles = dashboards.map((d) => d.title);
        assert.equal(new Set(uids).size, uids.length);
        assert.equal(new Set(titles).size, titles.length);
        for (const d of dashboards) {
            assert.ok(d.uid.length > 0 && d.uid.length <= 40, d.uid);
            assert.ok(d.title.trim().length > 0);
            assert.equal(d.schemaVersion, 39);
        }
    });

    for (const [name, d] of Object.entries(all)) {
        describe(name, () => {
            it("has panels with unique ids, inside the 24-column grid, not overlapping", () => {
                assert.ok(d.panels.length > 0);
                const ids = d.panels.map((p) => p.id);
                assert.equal(new Set(ids).size, ids.length);
                for (const p of d.panels) {
                    assert.ok(p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: ${JSON.stringify(p.gridPos)}`);
                    assert.ok(p.gridPos.y >= 0 && p.gridPos.h > 0);
                }
                for (const [i, a] of d.panels.entries()) {
                    for (const b of d.panels.slice(i + 1)) assert.ok(!rectanglesOverlap(a.gridPos, b.gridPos), `${a.title} overlaps ${b.title}`);
                }
            });

            it("points every panel, target and variable at one of the given datasources, by matching type", () => {
                const known = new Map([
                    [ds.prometheusUid, "prometheus"],
                    [ds.lokiUid, "loki"],
                ]);
                const refs = [
                    ...d.panels.flatMap((p) => [p.datasource, ...p.targets.map((t) => t.datasource)]),
                    ...d.templating.list.flatMap((v) => (v.datasource === undefined ? [] : [v.datasource as { type: string; uid: string }])),
                ];
                for (const ref of refs) assert.equal(known.get(ref.uid), ref.type, JSON.stringify(ref));
                for (const p of d.panels) for (const t of p.targets) assert.deepEqual(t.datasource, p.datasource, p.title);
            });

            it("gives every panel at least one target, each with an expression and a unique refId", () => {
                for (const p of d.panels) {
                    assert.ok(p.targets.length > 0, p.title);
                    for (const t of p.targets) assert.ok(typeof t.expr === "string" && t.expr.trim().length > 0, `${p.title}/${t.refId}`);
                    assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length, p.title);
                }
            });

            it("defines every variable its queries use", () => {
                const defined = new Set(d.templating.list.map((v) => v.name));
                const builtIn = new Set(["__range", "__interval", "__rate_interval"]);
                const exprs = [...d.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...d.templating.list.map((v) => String(v.query))];
                for (const expr of exprs) {
                    for (const [, used] of expr.matchAll(/\$(\w+)/g)) assert.ok(defined.has(used) || builtIn.has(used), `$${used} in ${expr}`);
                }
            });

            it("survives a JSON round trip unchanged (what the ConfigMap holds)", () => {
                assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
            });
        });
    }
});

describe("business events dashboard", () => {
    const d = businessEventsDashboard(ds);
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr));

    it("queries Loki only", () => {
        for (const p of d.panels) assert.equal(p.datasource.uid, ds.lokiUid);
    });

    it("names an Online Boutique service and the namespace variable in every LogQL expression", () => {
        for (const expr of exprs) {
            assert.ok(
                BUSINESS_SERVICES.some((s) => expr.includes(`service_name=~"${s}(-primary)?"`)),
                `no service in ${expr}`,
            );
            assert.ok(expr.includes('k8s_namespace_name="$namespace"'), expr);
        }
    });

    it("covers orders, payments, cart operations and currency conversions", () => {
        const has = (service: string, line: string) => exprs.some((e) => e.includes(`"${service}(-primary)?"`) && e.includes(line));
        assert.ok(has("checkoutservice", '|= "payment went through"'));
        assert.ok(has("checkoutservice", '|= "order confirmation email sent"'));
        assert.ok(has("paymentservice", '|= "Transaction processed"'));
        for (const op of ["AddItemAsync", "GetCartAsync", "EmptyCartAsync"]) assert.ok(has("cartservice", op), op);
        assert.ok(has("currencyservice", '|= "conversion request successful"'));
    });

    it("counts over the dashboard range in stats and per interval in graphs", () => {
        for (const p of d.panels) {
            for (const t of p.targets) {
                if (p.type === "stat") {
                    assert.match(t.expr, /^sum\(count_over_time\(.*\[\$__range\]\)\)$/);
                    assert.equal(t.queryType, "instant");
                }
                if (p.type === "timeseries") {
                    assert.match(t.expr, /^sum\(count_over_time\(.*\[\$__interval\]\)\)$/);
                    assert.equal(t.queryType, "range");
                }
            }
        }
        assert.ok(d.panels.filter((p) => p.type === "stat").length >= 4);
    });

    it("makes the namespace a textbox variable, boutique by default", () => {
        const namespace = d.templating.list.find((v) => v.name === "namespace");
        assert.ok(namespace);
        assert.equal(namespace.type, "textbox");
        assert.equal(namespace.query, "boutique");
    });
});

describe("Flagger canary dashboard", () => {
    const d = flaggerCanaryDashboard(ds);
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr));

    it("queries Prometheus only, with namespace and target variables", () => {
        for (const p of d.panels) assert.equal(p.datasource.uid, ds.prometheusUid);
        assert.deepEqual(
            d.templating.list.map((v) => v.name),
            ["namespace", "target"],
        );
    });

    it("shows Flagger's status, weight and canary count", () => {
        for (const metric of ["flagger_canary_status", "flagger_canary_weight", "flagger_canary_total"]) {
            assert.ok(
                exprs.some((e) => e.startsWith(`${metric}{`)),
                metric,
            );
        }
    });

    it("compares the canary with its primary on Istio's destination-side success rate and latency", () => {
        for (const metric of ["istio_requests_total", "istio_request_duration_milliseconds_bucket"]) {
            for (const workload of ["$target", "$target-primary"]) {
                assert.ok(
                    exprs.some((e) =>
                        e.includes(`${metric}{reporter="destination", destination_workload_namespace="$namespace", destination_workload="${workload}"`),
                    ),
                    `${metric} for ${workload}`,
                );
            }
        }
        const success = d.panels.find((p) => p.title.startsWith("Success rate"));
        assert.ok(success);
        assert.deepEqual(
            success.targets.map((t) => t.legendFormat),
            ["primary", "canary"],
        );
        for (const t of success.targets) assert.match(t.expr, /response_code!~"5\.\."/);
    });

    it("writes PromQL that Prometheus parses (promtool, variables substituted)", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        // Grafana interpolates these before the query reaches Prometheus.
        const substitute = (expr: string) =>
            expr.replaceAll("$__rate_interval", "1m").replaceAll("$namespace", "boutique").replaceAll("$target", "checkoutservice");
        const rules = { groups: [{ name: "dashboard-queries", rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: substitute(expr) })) }] };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promql-"));
        try {
            fs.writeFileSync(path.join(dir, "queries.yaml"), stringify(rules, { lineWidth: 0 }));
            const result = spawnSync("promtool", ["check", "rules", "queries.yaml"], { cwd: dir, encoding: "utf8" });
            assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("Loki logs dashboard", () => {
    const d = lokiLogsDashboard(ds);

    it("has a log panel filtered by namespace and search text", () => {
        const panel = d.panels.find((p) => p.type === "logs");
        assert.ok(panel);
        assert.equal(panel.targets[0].expr, '{k8s_namespace_name=~"$namespace"} |= "$search"');
    });

    it("has a log volume panel by namespace", () => {
        const panel = d.panels.find((p) => p.type === "timeseries");
        assert.ok(panel);
        assert.match(panel.targets[0].expr, /^sum by \(k8s_namespace_name\) \(count_over_time\(\{k8s_namespace_name=~"\$namespace"\} \[\$__interval\]\)\)$/);
    });

    it("offers every namespace Loki knows, all of them at once included", () => {
        const namespace = d.templating.list.find((v) => v.name === "namespace");
        assert.ok(namespace);
        assert.equal(namespace.type, "query");
        assert.equal(namespace.includeAll, true);
        assert.equal(namespace.allValue, ".+");
    });
});
