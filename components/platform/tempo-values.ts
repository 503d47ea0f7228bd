import { HelmValues } from "../shared/helm-charts";
import { TEMPO } from "./service-addresses";

/** Tempo's computed values: its Service name and its volume on the cluster's default StorageClass (persistence.storageClassName). */
export function tempoValues(storageClass: string): HelmValues {
    // fullnameOverride: the Service name TEMPO_URL and the collector's exporter point at.
    return { fullnameOverride: TEMPO.release, persistence: { storageClassName: storageClass } };
}
