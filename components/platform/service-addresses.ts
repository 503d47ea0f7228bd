/**
 * In-cluster addresses of the observability backends, derived from the release names and
 * namespaces the components use (the charts name their Services after the release).
 */
export const LOKI = { release: "loki", namespace: "logging" } as const;
/** Loki's gateway: the one address for pushes (OTLP) and queries. */
export const LOKI_URL = `http://${LOKI.release}-gateway.${LOKI.namespace}.svc.cluster.local`;
export const LOKI_OTLP_ENDPOINT = `${LOKI_URL}/otlp`;

export const TEMPO = { release: "tempo", namespace: "tracing", queryPort: 3200, otlpGrpcPort: 4317 } as const;
export const TEMPO_URL = `http://${TEMPO.release}.${TEMPO.namespace}.svc.cluster.local:${TEMPO.queryPort}`;
export const TEMPO_OTLP_ENDPOINT = `${TEMPO.release}.${TEMPO.namespace}.svc.cluster.local:${TEMPO.otlpGrpcPort}`;
