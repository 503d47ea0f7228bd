import { HelmValues } from "./helm-charts";

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
            grafana: { enabled: true, internal_url: args.grafanaUrl, external_url: "/grafana" },
            tracing: args.tempoUrl ? { enabled: true, provider: "tempo", internal_url: args.tempoUrl, use_grpc: false } : { enabled: false },
        },
    };
}
