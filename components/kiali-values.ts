import { HelmValues } from "./helm-charts";

/** Where an admin's browser reaches Grafana: `kubectl -n monitoring port-forward svc/grafana 3000:80`. */
export const GRAFANA_PORT_FORWARD_URL = "http://localhost:3000";

export interface KialiValuesArgs {
    readonly prometheusUrl: string;
    readonly grafanaUrl: string;
    /** Tempo's query address, when traces are collected. */
    readonly tempoUrl?: string;
}

/** Kiali wired to Prometheus, Grafana and Tempo; login stays `token` (values/kiali-server.yaml). */
export function kialiValues(args: KialiValuesArgs): HelmValues {
    return {
        external_services: {
            prometheus: { url: args.prometheusUrl },
            // Links open in the admin's browser: Grafana through the port-forward README gives.
            grafana: { enabled: true, internal_url: args.grafanaUrl, external_url: GRAFANA_PORT_FORWARD_URL },
            tracing: args.tempoUrl ? { enabled: true, provider: "tempo", internal_url: args.tempoUrl, use_grpc: false } : { enabled: false },
        },
    };
}
