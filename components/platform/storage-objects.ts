import { StorageProvider } from "../../config/platform-config";
import { KubernetesObject } from "../shared/kubernetes-object";
import { gcePdCsiObjects, PD_CSI_DRIVER } from "./storage-objects-pd";
import { LOCAL_PATH_PROVISIONER, localPathObjects } from "./storage-objects-local";

export { gcePdCsiObjects, PD_CSI_DRIVER, PD_CSI_IMAGES, PD_CSI_NAMESPACE } from "./storage-objects-pd";
export { LOCAL_PATH_DIRECTORY, LOCAL_PATH_IMAGES, LOCAL_PATH_NAMESPACE, LOCAL_PATH_PROVISIONER, localPathObjects } from "./storage-objects-local";

/** The cluster's default StorageClass: claims that name no class (Helm charts' defaults) get it. */
export const STORAGE_CLASS = "standard";

/**
 * The default class. WaitForFirstConsumer: a Persistent Disk is zonal and a local path is on one
 * node, so the volume is made where the scheduler has already put the pod, not the other way round.
 */
export function defaultStorageClass(provider: StorageProvider): KubernetesObject {
    const common = {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
    };
    switch (provider) {
        case "gce-pd":
            // pd-balanced: SSD-backed at a fraction of pd-ssd's price; PDs grow online.
            return { ...common, provisioner: PD_CSI_DRIVER, parameters: { type: "pd-balanced" }, allowVolumeExpansion: true };
        case "local-path":
            return { ...common, provisioner: LOCAL_PATH_PROVISIONER };
        default:
            return unknownProvider(provider);
    }
}

/** The driver behind the default class, then the class. */
export function storageObjects(provider: StorageProvider): KubernetesObject[] {
    switch (provider) {
        case "gce-pd":
            return [...gcePdCsiObjects(), defaultStorageClass(provider)];
        case "local-path":
            return [...localPathObjects(), defaultStorageClass(provider)];
        default:
            return unknownProvider(provider);
    }
}

function unknownProvider(provider: never): never {
    throw new Error(`unknown storage provider ${String(provider)}`);
}
