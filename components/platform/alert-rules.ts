import { stringify } from "yaml";
import { KubernetesObject } from "../shared/kubernetes-object";

/**
 * The platform's Prometheus alerts as plain data: rendered to a rule file (what promtool checks
 * and unit-tests) and to a PrometheusRule (what the operator loads). Metric names were checked
 * against each exporter's source or docs; the comment on each group says which.
 */
export type Severity = "warning" | "critical";

export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: Record<string, string>;
    annotations: { summary: string; description: string; runbook?: string };
}

export interface RuleGroup {
    name: string;
    rules: AlertRule[];
}

export interface AlertRuleOptions {
    /** Loki is installed (and scraped): its ingestion and compactor alerts apply. */
    readonly logging: boolean;
    /** Prometheus scrapes the HAProxy entry point's built-in exporter. */
    readonly haproxyScraped: boolean;
}

function rule(alert: string, severity: Severity, expr: string, forDuration: string, summary: string, description: string): AlertRule {
    return { alert, expr, for: forDuration, labels: { severity }, annotations: { summary, description } };
}

/**
 * Flagger's recorder sets flagger_canary_status{name,namespace} to 0 while progressing, 2 when
 * failed (rolled back), 1 otherwise (fluxcd/flagger pkg/metrics/recorder.go SetStatus; docs
 * usage/monitoring.md). `name` is the canary's target. The `namespace` label is Flagger's own:
 * Flagger must be scraped with honorLabels, or Prometheus renames it exported_namespace.
 */
function flaggerGroup(): RuleGroup {
    return {
        name: "flagger",
        rules: [
            rule(
                "CanaryRolledBack",
                "warning",
                "flagger_canary_status > 1",
                "1m",
                "Canary {{ $labels.namespace }}/{{ $labels.name }} was rolled back",
                "Flagger's analysis of {{ $labels.name }} in {{ $labels.namespace }} failed and traffic went back to the primary; the new revision is not serving.",
            ),
        ],
    };
}

/** kube-state-metrics: kube_pod_status_unschedulable{namespace,pod,uid} (STABLE, docs/metrics/workload/pod-metrics.md). */
function schedulingGroup(): RuleGroup {
    return {
        name: "scheduling",
        rules: [
            rule(
                "PodsUnschedulable",
                "warning",
                // Summed per pod: a recreated pod (new uid) is the same workload problem.
                "sum by (namespace, pod) (kube_pod_status_unschedulable) > 0",
                "5m",
                "Pod {{ $labels.namespace }}/{{ $labels.pod }} cannot be scheduled",
                "{{ $labels.namespace }}/{{ $labels.pod }} has been unschedulable for 5 minutes: the workers lack room (scale the pool) or its constraints match no node.",
            ),
        ],
    };
}

/** kube-state-metrics: kube_node_status_condition{node,condition,status} (STABLE, docs/metrics/cluster/node-metrics.md). */
function nodesGroup(): RuleGroup {
    return {
        name: "nodes",
        rules: [
            rule(
                "NodeNotReady",
                "critical",
                'kube_node_status_condition{condition="Ready",status="true"} == 0',
                "5m",
                "Node {{ $labels.node }} is not Ready",
                "{{ $labels.node }} has not been Ready for 5 minutes: its pods are not running or will be evicted.",
            ),
        ],
    };
}

// Loki's write routes: push API (protobuf/JSON) and OTLP, as named in Loki's own loki-writes dashboard.
const LOKI_PUSH_ROUTES = 'route=~"api_prom_push|loki_api_v1_push|otlp_v1_logs"';

/**
 * Loki 3.x, SimpleScalable with the tsdb store:
 * - loki_request_duration_seconds{route,status_code} is dskit's server histogram.
 * - loki_discarded_samples_total{reason,tenant} (pkg/validation).
 * - The compactor metric keeps its boltdb-shipper prefix with tsdb too: pkg/compactor/metrics.go
 *   registers loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds,
 *   and Loki's tsdb integration tests wait on it. It is used rather than
 *   loki_compactor_apply_retention_last_successful_run_timestamp_seconds because it advances on
 *   every compaction run, retention or not. Only the ring leader compacts; the others report 0,
 *   hence the `> 0` filter and the max.
 */
function lokiGroup(): RuleGroup {
    return {
        name: "loki",
        rules: [
            rule(
                "LokiIngestionErrors",
                "critical",
                `sum by (namespace, job) (rate(loki_request_duration_seconds_count{${LOKI_PUSH_ROUTES}, status_code=~"5.."}[5m]))` +
                    ` / sum by (namespace, job) (rate(loki_request_duration_seconds_count{${LOKI_PUSH_ROUTES}}[5m])) > 0.05`,
                "10m",
                "Loki {{ $labels.job }} fails more than 5% of log pushes",
                "{{ $value | humanizePercentage }} of pushes to {{ $labels.job }} in {{ $labels.namespace }} answer 5xx: the collectors retry, then drop logs.",
            ),
            rule(
                "LokiDiscardingSamples",
                "warning",
                "sum by (namespace, tenant, reason) (rate(loki_discarded_samples_total[5m])) > 0",
                "15m",
                "Loki discards log lines ({{ $labels.reason }})",
                "Loki in {{ $labels.namespace }} has been discarding lines of tenant {{ $labels.tenant }} for 15 minutes, reason {{ $labels.reason }} (a limit or a validation rule).",
            ),
            rule(
                "LokiCompactionStale",
                "warning",
                "time() - max by (namespace) (loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds > 0) > 2 * 60 * 60",
                "10m",
                "Loki's compactor has not compacted for 2 hours",
                "The last successful compaction in {{ $labels.namespace }} is over 2 hours old: index files pile up and retention is not applied.",
            ),
        ],
    };
}

/**
 * HAProxy's built-in exporter (addons/promex, as in 2.6.0): haproxy_backend_active_servers{proxy}
 * and haproxy_server_status{proxy,server,state}, one series per state (DOWN, UP, MAINT, DRAIN,
 * NOLB) with value 1 for the current one.
 */
function haproxyGroup(): RuleGroup {
    return {
        name: "haproxy",
        rules: [
            rule(
                "HaproxyBackendDown",
                "critical",
                "haproxy_backend_active_servers == 0",
                "1m",
                "HAProxy backend {{ $labels.proxy }} has no server up",
                "Every server of {{ $labels.proxy }} on the entry point fails its health check: that entry (API server or ingress) is down.",
            ),
            rule(
                "HaproxyServerDown",
                "warning",
                'haproxy_server_status{state="DOWN"} == 1',
                "1m",
                "HAProxy server {{ $labels.proxy }}/{{ $labels.server }} is down",
                "{{ $labels.server }} in backend {{ $labels.proxy }} fails its health check; the backend runs on its other servers.",
            ),
        ],
    };
}

/** Alert groups for the platform; Loki's and HAProxy's only where their metrics exist. */
export function platformRuleGroups(options: AlertRuleOptions): RuleGroup[] {
    return [flaggerGroup(), schedulingGroup(), nodesGroup(), ...(options.logging ? [lokiGroup()] : []), ...(options.haproxyScraped ? [haproxyGroup()] : [])];
}

/** A Prometheus rule file (`groups:`), the format `promtool check rules` reads. */
export function renderRuleFile(groups: RuleGroup[]): string {
    // lineWidth 0: no folding, so each expression stays on one line.
    return stringify({ groups }, { lineWidth: 0 });
}

/** The same groups as a PrometheusRule; the operator's ruleSelector takes every one (values). */
export function prometheusRuleObject(name: string, namespace: string, groups: RuleGroup[]): KubernetesObject {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name, namespace, labels: { "app.kubernetes.io/part-of": "boutique-platform" } },
        spec: { groups },
    };
}
