import { HelmValues } from "../shared/helm-charts";

/** Where an admin's browser reaches Grafana: `kubectl -n monitoring port-forward svc/grafana 3000:80`. */
export const GRAFANA_PORT_FORWARD_URL = "http://localhost:3000";

/** A Secret in Kiali's namespace holding a login, and the keys of its user and password. */
export interface SecretLogin {
    readonly secret: string;
    readonly userKey: string;
    readonly passwordKey: string;
}

export interface KialiValuesArgs {
    readonly prometheusUrl: string;
    readonly grafanaUrl: string;
    /** Grafana's login: its anonymous access is off, so its API answers Kiali 401 without one. */
    readonly grafanaLogin?: SecretLogin;
    /** Tempo's query address, when traces are collected. */
    readonly tempoUrl?: string;
}

function secretRef(login: SecretLogin, key: "userKey" | "passwordKey"): string {
    return `secret:${login.secret}:${login[key]}`;
}

/** Kiali wired to Prometheus, Grafana and Tempo; login stays `token` (values/kiali-server.yaml). */
export function kialiValues(args: KialiValuesArgs): HelmValues {
    return {
        external_services: {
            prometheus: { url: args.prometheusUrl },
            // Links open in the admin's browser: Grafana through the port-forward docs/platform.md gives.
            grafana: {
                enabled: true,
                internal_url: args.grafanaUrl,
                external_url: GRAFANA_PORT_FORWARD_URL,
                // "secret:<name>:<key>": the chart mounts that key and Kiali reads it; no password in the values.
                ...(args.grafanaLogin
                    ? { auth: { type: "basic", username: secretRef(args.grafanaLogin, "userKey"), password: secretRef(args.grafanaLogin, "passwordKey") } }
                    : {}),
            },
            tracing: args.tempoUrl ? { enabled: true, provider: "tempo", internal_url: args.tempoUrl, use_grpc: false } : { enabled: false },
        },
    };
}
