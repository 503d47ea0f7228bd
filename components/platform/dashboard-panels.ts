/** The Grafana dashboard JSON model (schemaVersion 39) and the panel builders the dashboards are made of. */

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

export function dashboard(uid: string, title: string, tags: string[], variables: TemplateVariable[], panels: PanelSpec[]): Dashboard {
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

export function textbox(name: string, label: string, value: string): TemplateVariable {
    return { name, label, type: "textbox", query: value, current: { text: value, value }, options: [{ selected: true, text: value, value }], hide: 0 };
}

export function queryVariable(name: string, label: string, datasource: DatasourceRef, query: string, all: boolean): TemplateVariable {
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

export function stat(
    datasource: DatasourceRef,
    title: string,
    expr: string,
    w: number,
    h: number,
    defaults: Record<string, unknown> = { unit: "short" },
): PanelSpec {
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

export function timeseries(datasource: DatasourceRef, title: string, queries: [string, string][], unit: string, w: number, h: number): PanelSpec {
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

export function logs(datasource: DatasourceRef, title: string, expr: string, w: number, h: number): PanelSpec {
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
