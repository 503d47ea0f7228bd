/**
 * Grafana dashboards as plain data (the JSON model, schemaVersion 39): Online Boutique's business
 * events from its logs, Flagger canaries against their primaries, and a log explorer. Each is
 * shipped as a ConfigMap the Grafana sidecar loads (monitoring-objects.ts dashboardConfigMap).
 */

export interface DashboardDatasources {
    readonly prometheusUid: string;
    readonly lokiUid: string;
}

export interface DatasourceRef {
    type: "prometheus" | "loki";
    uid: string;
}

export interface Target {
    refId: string;
    datasource: DatasourceRef;
    expr: string;
    legendFormat: string;
    editorMode: "code";
    [field: string]: unknown;
}

export interface GridPos {
    x: number;
    y: number;
    w: number;
    h: number;
}

export interface Panel {
    id: number;
    type: "stat" | "timeseries" | "logs";
    title: string;
    gridPos: GridPos;
    datasource: DatasourceRef;
    targets: Target[];
    [field: string]: unknown;
}

export interface TemplateVariable {
    name: string;
    type: "textbox" | "query";
    [field: string]: unknown;
}

export interface Dashboard {
    uid: string;
    title: string;
    schemaVersion: 39;
    panels: Panel[];
    templating: { list: TemplateVariable[] };
    [field: string]: unknown;
}

const GRID_WIDTH = 24;

/** A panel before layout: its width and height instead of an id and a position. */
interface PanelSpec {
    type: Panel["type"];
    title: string;
    datasource: DatasourceRef;
    targets: Target[];
    w: number;
    h: number;
    [field: string]: unknown;
}

/** Ids 1..n and positions left to right, wrapping to a new row when the grid is full. */
function layout(specs: PanelSpec[]): Panel[] {
    let x = 0;
    let y = 0;
    let rowHeight = 0;
    return specs.map(({ w, h, ...panel }, index) => {
        if (x + w > GRID_WIDTH) {
            x = 0;
            y += rowHeight;
            rowHeight = 0;
        }
        const placed: Panel = { id: index + 1, gridPos: { x, y, w, h }, ...panel };
        x += w;
        rowHeight = Math.max(rowHeight, h);
        return placed;
    });
}

function dashboard(uid: string, title: string, tags: string[], variables: TemplateVariable[], panels: PanelSpec[]): Dashboard {
    return {
        uid,
        title,
        tags: ["boutique-platform", ...tags],
        timezone: "browser",
        schemaVersion: 39,
        version: 1,
        editable: true,
        graphTooltip: 1,
        time: { from: "now-6h", to: "now" },
        refresh: "30s",
        annotations: { list: [] },
        templating: { list: variables },
        panels: layout(panels),
    };
}

function textbox(name: string, label: string, value: string): TemplateVariable {
    return { name, label, type: "textbox", query: value, current: { text: value, value }, options: [{ selected: true, text: value, value }], hide: 0 };
}

function queryVariable(name: string, label: string, datasource: DatasourceRef, query: string, all: boolean): TemplateVariable {
    return {
        name,
        label,
        type: "query",
        datasource,
        query,
        definition: query,
        refresh: 2, // on time-range change: new namespaces and canaries show up
        sort: 1,
        multi: all,
        includeAll: all,
        ...(all ? { allValue: ".+" } : {}),
        hide: 0,
    };
}

type QueryKind = "range" | "instant";

function target(datasource: DatasourceRef, refId: string, expr: string, legendFormat: string, kind: QueryKind): Target {
    // Loki takes queryType; Prometheus the instant/range flags.
    const mode = datasource.type === "loki" ? { queryType: kind } : { instant: kind === "instant", range: kind === "range" };
    return { refId, datasource, expr, legendFormat, editorMode: "code", ...mode };
}

/** [expr, legend] pairs to targets A, B, C... */
function targets(datasource: DatasourceRef, queries: [string, string][], kind: QueryKind): Target[] {
    return queries.map(([expr, legend], i) => target(datasource, String.fromCharCode(65 + i), expr, legend, kind));
}

function stat(datasource: DatasourceRef, title: string, expr: string, w: number, h: number, defaults: Record<string, unknown> = { unit: "short" }): PanelSpec {
    return {
        type: "stat",
        title,
        w,
        h,
        datasource,
        targets: targets(datasource, [[expr, title]], "instant"),
        fieldConfig: { defaults, overrides: [] },
        options: {
            reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
            colorMode: "value",
            graphMode: "none",
            textMode: "auto",
            justifyMode: "auto",
        },
    };
}

function timeseries(datasource: DatasourceRef, title: string, queries: [string, string][], unit: string, w: number, h: number): PanelSpec {
    return {
        type: "timeseries",
        title,
        w,
        h,
        datasource,
        targets: targets(datasource, queries, "range"),
        fieldConfig: { defaults: { unit, custom: { drawStyle: "line", lineWidth: 1, fillOpacity: 10, showPoints: "never" } }, overrides: [] },
        options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
    };
}

function logs(datasource: DatasourceRef, title: string, expr: string, w: number, h: number): PanelSpec {
    return {
        type: "logs",
        title,
        w,
        h,
        datasource,
        targets: targets(datasource, [[expr, ""]], "range"),
        options: {
            showTime: true,
            wrapLogMessage: true,
            sortOrder: "Descending",
            enableLogDetails: true,
            dedupStrategy: "none",
            showLabels: false,
            showCommonLabels: false,
            prettifyLogMessage: false,
        },
    };
}

const loki = (ds: DashboardDatasources): DatasourceRef => ({ type: "loki", uid: ds.lokiUid });
const prometheus = (ds: DashboardDatasources): DatasourceRef => ({ type: "prometheus", uid: ds.prometheusUid });

/**
 * One Online Boutique service's log streams in $namespace. The labels are the collector's OTLP
 * resource attributes that Loki indexes (values/loki.yaml). service.name comes from the
 * k8sattributes processor, which falls back to the Deployment's name (the pods carry no
 * app.kubernetes.io labels): Flagger's copy is "<service>-primary", hence the optional suffix.
 */
const streams = (service: string) => `{k8s_namespace_name="$namespace", service_name=~"${service}(-primary)?"}`;

/** Log lines Online Boutique writes once per business event (its services' sources). */
const EVENTS = {
    orders: ["checkoutservice", '|= "payment went through"'],
    confirmations: ["checkoutservice", '|= "order confirmation email sent"'],
    payments: ["paymentservice", '|= "Transaction processed"'],
    cartOperations: ["cartservice", '|~ "AddItemAsync|GetCartAsync|EmptyCartAsync"'],
    addItem: ["cartservice", '|= "AddItemAsync"'],
    getCart: ["cartservice", '|= "GetCartAsync"'],
    emptyCart: ["cartservice", '|= "EmptyCartAsync"'],
    conversions: ["currencyservice", '|= "conversion request successful"'],
} as const;

type EventName = keyof typeof EVENTS;

/** Events over the dashboard's range ($__range, for stats) or per step ($__interval, for graphs). */
function eventCount(event: EventName, window: "$__range" | "$__interval"): string {
    const [service, filter] = EVENTS[event];
    return `sum(count_over_time(${streams(service)} ${filter} [${window}]))`;
}

export function businessEventsDashboard(ds: DashboardDatasources): Dashboard {
    const source = loki(ds);
    const total = (title: string, event: EventName, w: number) => stat(source, title, eventCount(event, "$__range"), w, 4);
    const perStep = (event: EventName, legend: string): [string, string] => [eventCount(event, "$__interval"), legend];
    return dashboard(
        "boutique-business-events",
        "Online Boutique: business events",
        ["online-boutique", "loki"],
        [textbox("namespace", "Namespace", "boutique")],
        [
            total("Orders completed", "orders", 5),
            total("Confirmation emails sent", "confirmations", 5),
            total("Payments processed", "payments", 5),
            total("Cart operations", "cartOperations", 5),
            total("Currency conversions", "conversions", 4),
            timeseries(source, "Orders and payments", [perStep("orders", "orders"), perStep("payments", "payments")], "short", 12, 8),
            timeseries(
                source,
                "Cart operations",
                [perStep("addItem", "add item"), perStep("getCart", "get cart"), perStep("emptyCart", "empty cart")],
                "short",
                12,
                8,
            ),
            timeseries(source, "Currency conversions", [perStep("conversions", "conversions")], "short", 12, 8),
            logs(source, "Checkout events", `${streams("checkoutservice")} |~ "payment went through|order confirmation email sent"`, 12, 8),
        ],
    );
}

/** Istio's server-side (reporter="destination") view of one workload of the canary. */
const istio = (workload: string) => `reporter="destination", destination_workload_namespace="$namespace", destination_workload="${workload}"`;
const successRate = (workload: string) =>
    `sum(rate(istio_requests_total{${istio(workload)}, response_code!~"5.."}[$__rate_interval])) / sum(rate(istio_requests_total{${istio(workload)}}[$__rate_interval])) * 100`;
const p99Latency = (workload: string) =>
    `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${istio(workload)}}[$__rate_interval])))`;
const requestRate = (workload: string) => `sum(rate(istio_requests_total{${istio(workload)}}[$__rate_interval]))`;

// Flagger runs the old revision as "<target>-primary" and the new one as "<target>".
const PRIMARY = "$target-primary";
const CANARY = "$target";

export function flaggerCanaryDashboard(ds: DashboardDatasources): Dashboard {
    const source = prometheus(ds);
    const both = (query: (workload: string) => string): [string, string][] => [
        [query(PRIMARY), "primary"],
        [query(CANARY), "canary"],
    ];
    // Flagger's status gauge: 0 progressing, 1 succeeded, 2 failed (rolled back).
    const statusMappings = [
        {
            type: "value",
            options: { "0": { text: "Progressing", color: "blue" }, "1": { text: "Succeeded", color: "green" }, "2": { text: "Failed", color: "red" } },
        },
    ];
    return dashboard(
        "boutique-flagger-canary",
        "Flagger canaries",
        ["flagger", "istio"],
        [
            queryVariable("namespace", "Namespace", source, "label_values(flagger_canary_status, namespace)", false),
            queryVariable("target", "Canary", source, 'label_values(flagger_canary_status{namespace="$namespace"}, name)', false),
        ],
        [
            stat(source, "Canary status", 'flagger_canary_status{namespace="$namespace", name="$target"}', 6, 6, { unit: "none", mappings: statusMappings }),
            stat(source, "Canaries in namespace", 'flagger_canary_total{namespace="$namespace"}', 6, 6),
            timeseries(
                source,
                "Traffic weight",
                [[`flagger_canary_weight{namespace="$namespace", workload=~"${CANARY}|${PRIMARY}"}`, "{{workload}}"]],
                "percent",
                12,
                6,
            ),
            timeseries(source, "Success rate (non-5xx)", both(successRate), "percent", 12, 8),
            timeseries(source, "P99 latency", both(p99Latency), "ms", 12, 8),
            timeseries(source, "Request rate", both(requestRate), "reqps", 24, 8),
        ],
    );
}

export function lokiLogsDashboard(ds: DashboardDatasources): Dashboard {
    const source = loki(ds);
    return dashboard(
        "boutique-loki-logs",
        "Cluster logs",
        ["loki"],
        [queryVariable("namespace", "Namespace", source, "label_values(k8s_namespace_name)", true), textbox("search", "Search", "")],
        [
            timeseries(
                source,
                "Log volume by namespace",
                [['sum by (k8s_namespace_name) (count_over_time({k8s_namespace_name=~"$namespace"} [$__interval]))', "{{k8s_namespace_name}}"]],
                "short",
                24,
                8,
            ),
            logs(source, "Logs", '{k8s_namespace_name=~"$namespace"} |= "$search"', 24, 16),
        ],
    );
}

/** The dashboards to install, by file-safe name; the Loki ones only when logs are collected. */
export function platformDashboards(ds: DashboardDatasources, options: { logging: boolean }): Record<string, Dashboard> {
    return {
        "flagger-canary": flaggerCanaryDashboard(ds),
        ...(options.logging ? { "business-events": businessEventsDashboard(ds), "loki-logs": lokiLogsDashboard(ds) } : {}),
    };
}
