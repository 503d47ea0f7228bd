import { HelmValues } from "./helm-charts";

/** Tempo's computed values: its volume on the cluster's default StorageClass (the chart reads persistence.storageClassName). */
export function tempoValues(storageClass: string): HelmValues {
    return { persistence: { storageClassName: storageClass } };
}
