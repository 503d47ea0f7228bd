/**
 * Grafana dashboards as plain data (the JSON model, schemaVersion 39): Online Boutique's business
 * events from its logs, Flagger canaries against their primaries, and a log explorer. Each is
 * shipped as a ConfigMap the Grafana sidecar loads (monitoring-objects.ts dashboardConfigMap).
 */

import { dashboard, Dashboard, DashboardDatasources, DatasourceRef, logs, queryVariable, stat, textbox, timeseries } from "./dashboard-panels";

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
