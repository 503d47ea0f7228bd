import { isRecord } from "../config/records";
import { listAt } from "../components/shared/kubernetes-object";
import { machineShape } from "../config/node-capacity";
import { RenderedResource } from "./evaluation";

/**
 * What a stack occupies in Google Cloud, read from its rendered resources (never typed in):
 * VMs, boot disks, addresses, the disks the platform's PersistentVolumeClaims will request,
 * buckets, and the quota totals those add up to. Pure functions over `RenderedResource[]`.
 */

export const INSTANCE = "gcp:compute/instance:Instance";
export const ADDRESS = "gcp:compute/address:Address";
export const BUCKET = "gcp:storage/bucket:Bucket";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";
const PD_CSI_PROVISIONER = "pd.csi.storage.gke.io";

/** VMs of one role and machine type. */
export interface VmGroup {
    readonly role: string;
    readonly machineType: string;
    readonly count: number;
    readonly vcpusEach: number;
    readonly memoryMiBEach: number;
}

/** One disk, or a group of same-sized disks (a StatefulSet's claims). */
export interface DiskGroup {
    readonly owner: string;
    readonly diskType: string;
    readonly sizeGb: number;
    readonly count: number;
}

export interface Footprint {
    readonly region: string;
    readonly vms: readonly VmGroup[];
    readonly bootDisks: readonly DiskGroup[];
    /** Claims the charts make; `diskType` "node-local" when the StorageClass is not Persistent Disk. */
    readonly volumes: readonly DiskGroup[];
    /** Reserved external addresses by resource name, and ephemeral external addresses on VMs. */
    readonly staticExternalAddresses: readonly string[];
    readonly ephemeralExternalAddresses: number;
    readonly staticInternalAddresses: number;
    /** VMs without an external address: Cloud NAT bills per such VM. */
    readonly vmsBehindNat: number;
    readonly buckets: readonly string[];
}

/** A value at a dotted path of nested objects, or undefined. */
export function valueAt(root: unknown, dottedPath: string): unknown {
    let node = root;
    for (const key of dottedPath.split(".")) {
        if (!isRecord(node)) return undefined;
        node = node[key];
    }
    return node;
}

/** "50Gi" / "10G" / "512Mi" -> GB as GCE counts disks (GiB; a PD is provisioned in whole GiB, rounded up). */
export function quantityToDiskGb(quantity: string): number {
    const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(quantity);
    if (!match) throw new Error(`not a storage quantity: ${JSON.stringify(quantity)}`);
    const bytesPer: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12, "": 1 };
    return Math.ceil((Number(match[1]) * bytesPer[match[2] ?? ""]) / 2 ** 30);
}

/**
 * Where each chart's claims are in its values: the size, the switch that turns them on (absent:
 * always on when the size is set) and the replica count (absent: one). Every PVC the platform's
 * releases create is here; test/render/footprint.test.ts compares these with the rendered values.
 */
export const VOLUME_CLAIMS: readonly {
    readonly release: string;
    readonly owner: string;
    readonly size: string;
    readonly enabled?: string;
    readonly replicas?: string;
}[] = [
    {
        release: "kube-prometheus-stack",
        owner: "prometheus",
        size: "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage",
        replicas: "prometheus.prometheusSpec.replicas",
    },
    {
        release: "kube-prometheus-stack",
        owner: "alertmanager",
        size: "alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage",
        replicas: "alertmanager.alertmanagerSpec.replicas",
    },
    { release: "kube-prometheus-stack", owner: "grafana", size: "grafana.persistence.size", enabled: "grafana.persistence.enabled" },
    { release: "loki", owner: "loki-write", size: "write.persistence.size", enabled: "write.persistence.volumeClaimsEnabled", replicas: "write.replicas" },
    { release: "loki", owner: "loki-backend", size: "backend.persistence.size", enabled: "backend.persistence.enabled", replicas: "backend.replicas" },
    { release: "tempo", owner: "tempo", size: "persistence.size", enabled: "persistence.enabled", replicas: "replicas" },
];

function ofType(resources: readonly RenderedResource[], type: string): RenderedResource[] {
    return resources.filter((resource) => resource.type === type);
}

function text(value: unknown, what: string): string {
    if (typeof value !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
    return value;
}

function roleOf(instance: RenderedResource): string {
    const labels = isRecord(instance.inputs.labels) ? instance.inputs.labels : {};
    const role = typeof labels.role === "string" ? labels.role : instance.name;
    return typeof labels.pool === "string" ? `${role} (pool ${labels.pool})` : role;
}

function accessConfigsOf(instance: RenderedResource): unknown[] {
    return listAt(instance.inputs, "networkInterfaces").flatMap((nic) => listAt(nic, "accessConfigs"));
}

/** Adds `count` to the group with the same key, keeping first-seen order. */
function grouped<T extends { readonly count: number }>(items: readonly T[], keyOf: (item: T) => string): T[] {
    const groups = new Map<string, T>();
    for (const item of items) {
        const key = keyOf(item);
        const seen = groups.get(key);
        groups.set(key, seen ? { ...seen, count: seen.count + item.count } : item);
    }
    return [...groups.values()];
}

function isDefaultClass(storageClass: unknown): boolean {
    const annotations = valueAt(storageClass, "metadata.annotations");
    return isRecord(annotations) && annotations["storageclass.kubernetes.io/is-default-class"] === "true";
}

/** The default StorageClass the program applies: its PD type, or "node-local" for any other provisioner. */
export function defaultVolumeDiskType(resources: readonly RenderedResource[]): string {
    const objects = ofType(resources, CONFIG_GROUP).flatMap((group) => listAt(group.inputs, "objs"));
    const storageClass = objects.find((object) => valueAt(object, "kind") === "StorageClass" && isDefaultClass(object));
    if (storageClass === undefined) throw new Error("the render applies no default StorageClass");
    if (valueAt(storageClass, "provisioner") !== PD_CSI_PROVISIONER) return "node-local";
    return text(valueAt(storageClass, "parameters.type") ?? "pd-standard", "StorageClass parameters.type");
}

/** The claims the platform's releases request, from their final values. */
export function volumeClaims(resources: readonly RenderedResource[]): DiskGroup[] {
    const diskType = defaultVolumeDiskType(resources);
    const releases = new Map(ofType(resources, RELEASE).map((release) => [text(release.inputs.name, `${release.name} name`), release.inputs.values]));
    return VOLUME_CLAIMS.flatMap((claim) => {
        const values = releases.get(claim.release);
        const size = valueAt(values, claim.size);
        if (values === undefined || size === undefined) return [];
        if (claim.enabled !== undefined && valueAt(values, claim.enabled) !== true) return [];
        const replicas = claim.replicas === undefined ? 1 : (valueAt(values, claim.replicas) ?? 1);
        if (typeof replicas !== "number") throw new Error(`${claim.release} ${claim.replicas}: expected a number`);
        return replicas > 0 ? [{ owner: claim.owner, diskType, sizeGb: quantityToDiskGb(text(size, `${claim.release} ${claim.size}`)), count: replicas }] : [];
    });
}

/** The whole footprint of a rendered stack. */
export function footprintOf(resources: readonly RenderedResource[]): Footprint {
    const instances = ofType(resources, INSTANCE);
    const addresses = ofType(resources, ADDRESS);
    const vms = grouped(
        instances.map((instance): VmGroup => {
            const machineType = text(instance.inputs.machineType, `${instance.name} machineType`);
            const shape = machineShape(machineType);
            return { role: roleOf(instance), machineType, count: 1, vcpusEach: shape.vcpus, memoryMiBEach: shape.memoryMiB };
        }),
        (vm) => `${vm.role}/${vm.machineType}`,
    );
    const bootDisks = grouped(
        instances.map((instance): DiskGroup => {
            const params = valueAt(instance.inputs, "bootDisk.initializeParams");
            const sizeGb = valueAt(params, "size");
            if (typeof sizeGb !== "number") throw new Error(`${instance.name}: boot disk without a size`);
            return {
                owner: `${roleOf(instance)} boot`,
                diskType: text(valueAt(params, "type") ?? "pd-standard", `${instance.name} boot disk type`),
                sizeGb,
                count: 1,
            };
        }),
        (disk) => `${disk.owner}/${disk.diskType}/${disk.sizeGb}`,
    );
    const regions = new Set(ofType(resources, "gcp:compute/routerNat:RouterNat").map((nat) => text(nat.inputs.region, "RouterNat region")));
    if (regions.size !== 1) throw new Error(`expected one Cloud NAT region, found ${regions.size}`);
    const accessConfigs = instances.map(accessConfigsOf);
    return {
        region: [...regions][0],
        vms,
        bootDisks,
        volumes: volumeClaims(resources),
        staticExternalAddresses: addresses.filter((address) => address.inputs.addressType === "EXTERNAL").map((address) => address.name),
        ephemeralExternalAddresses: accessConfigs.flat().filter((config) => !isRecord(config) || config.natIp === undefined).length,
        staticInternalAddresses: addresses.filter((address) => address.inputs.addressType === "INTERNAL").length,
        vmsBehindNat: accessConfigs.filter((configs) => configs.length === 0).length,
        buckets: ofType(resources, BUCKET).map((bucket) => text(bucket.inputs.name ?? bucket.name, `${bucket.name} name`)),
    };
}
