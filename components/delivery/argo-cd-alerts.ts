import { AlertRule, RuleGroup } from "../platform/alert-rules";

/**
 * Alerts on Argo CD's delivery of the shop, from the application controller's metrics
 * (argo-cd docs, operator-manual/metrics.md): `argocd_app_info{name, namespace, project,
 * sync_status, health_status, ...}` is 1 for each Application in its current state, and
 * `argocd_app_sync_total{name, namespace, project, phase}` counts sync operations by outcome.
 * What Flagger owns is ignored by the Application, so a canary in progress reads Synced.
 */

function rule(alert: string, expr: string, forDuration: string, summary: string, description: string): AlertRule {
    return { alert, expr, for: forDuration, labels: { severity: "warning" }, annotations: { summary, description } };
}

export function argoCdRuleGroup(): RuleGroup {
    return {
        name: "argocd",
        rules: [
            rule(
                "ArgoCdAppOutOfSync",
                'argocd_app_info{sync_status!="Synced"} > 0',
                "15m",
                "Argo CD application {{ $labels.name }} is {{ $labels.sync_status }}",
                "{{ $labels.name }} has not matched its Git path for 15 minutes: a sync that cannot finish, or an object changed by hand that self-heal cannot undo. See its events in Argo CD.",
            ),
            rule(
                "ArgoCdAppUnhealthy",
                'argocd_app_info{health_status!~"Healthy|Progressing"} > 0',
                "15m",
                "Argo CD application {{ $labels.name }} is {{ $labels.health_status }}",
                "Some object of {{ $labels.name }} has been {{ $labels.health_status }} for 15 minutes (a Deployment that does not become available, a missing object).",
            ),
            rule(
                "ArgoCdSyncFailed",
                'increase(argocd_app_sync_total{phase=~"Error|Failed"}[10m]) > 0',
                "0m",
                "Argo CD could not sync {{ $labels.name }}",
                "A sync of {{ $labels.name }} ended {{ $labels.phase }} in the last 10 minutes: the commit may not build (kustomize, the chart) or the project may refuse an object.",
            ),
        ],
    };
}
