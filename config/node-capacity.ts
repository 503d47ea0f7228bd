/**
 * What a node of a given GCE machine type and boot disk reports to Kubernetes: capacity and
 * allocatable, as the kubelet computes them on this cluster's nodes. Pure; the scaler's template
 * nodes (template-node.ts) are built from it.
 */

/** vCPUs and memory of one machine type. */
export interface MachineShape {
    readonly vcpus: number;
    readonly memoryMiB: number;
}

/**
 * GCE's predefined machine types this cluster may run its nodes on (Pulumi.yaml's defaults are
 * e2-standard-2, e2-standard-4 and e2-small), from Google's general-purpose machine family page,
 * https://cloud.google.com/compute/docs/general-purpose-machines (sections "E2 machine series",
 * "N2 machine series", "N2D machine series", "N1 machine series"). GCE's "GB" of memory is 2^30
 * bytes (the API's `memoryMb` for e2-standard-4 is 16384). Standard types have 4 GB per vCPU
 * (N1: 3.75), highmem 8 and highcpu 1; the E2 shared-core types show the guest 2 vCPUs each.
 * Larger sizes exist but are not listed: a node bigger than 32 vCPUs is not this cluster's shape.
 */
const FAMILIES: readonly { readonly prefix: string; readonly gibPerVcpu: number; readonly sizes: readonly number[] }[] = [
    { prefix: "e2-standard", gibPerVcpu: 4, sizes: [2, 4, 8, 16, 32] },
    { prefix: "e2-highmem", gibPerVcpu: 8, sizes: [2, 4, 8, 16] },
    { prefix: "e2-highcpu", gibPerVcpu: 1, sizes: [2, 4, 8, 16, 32] },
    { prefix: "n2-standard", gibPerVcpu: 4, sizes: [2, 4, 8, 16, 32] },
    { prefix: "n2-highmem", gibPerVcpu: 8, sizes: [2, 4, 8, 16, 32] },
    { prefix: "n2-highcpu", gibPerVcpu: 1, sizes: [2, 4, 8, 16, 32] },
    { prefix: "n2d-standard", gibPerVcpu: 4, sizes: [2, 4, 8, 16, 32] },
    { prefix: "n2d-highmem", gibPerVcpu: 8, sizes: [2, 4, 8, 16, 32] },
    { prefix: "n2d-highcpu", gibPerVcpu: 1, sizes: [2, 4, 8, 16, 32] },
    { prefix: "n1-standard", gibPerVcpu: 3.75, sizes: [1, 2, 4, 8, 16, 32] },
];

const SHARED_CORE: Readonly<Record<string, MachineShape>> = {
    "e2-micro": { vcpus: 2, memoryMiB: 1024 },
    "e2-small": { vcpus: 2, memoryMiB: 2048 },
    "e2-medium": { vcpus: 2, memoryMiB: 4096 },
};

const SHAPES: ReadonlyMap<string, MachineShape> = new Map([
    ...Object.entries(SHARED_CORE),
    ...FAMILIES.flatMap(({ prefix, gibPerVcpu, sizes }) =>
        sizes.map((vcpus): [string, MachineShape] => [`${prefix}-${vcpus}`, { vcpus, memoryMiB: vcpus * gibPerVcpu * 1024 }]),
    ),
]);

/** Every machine type machineShape knows, in table order. */
export const KNOWN_MACHINE_TYPES: readonly string[] = [...SHAPES.keys()];

/** The known types, short: "e2-micro, e2-small, e2-medium, e2-standard-{2,4,8,16,32}, …". */
function knownTypesText(): string {
    return [...Object.keys(SHARED_CORE), ...FAMILIES.map(({ prefix, sizes }) => `${prefix}-{${sizes.join(",")}}`)].join(", ");
}

/** A machine type the table does not hold. */
export class UnknownMachineTypeError extends Error {
    constructor(readonly machineType: string) {
        super(`unknown machine type ${JSON.stringify(machineType)}: its vCPUs and memory are not in the scaler's table (known: ${knownTypesText()})`);
        this.name = "UnknownMachineTypeError";
    }
}

/**
 * vCPUs and memory of a machine type. Throws for a type not in the table, naming it and the
 * known ones: a template with a guessed size would let the autoscaler add nodes that cannot run
 * the pods it added them for. Stack config validation can call it to refuse such a type early.
 */
export function machineShape(machineType: string): MachineShape {
    const shape = SHAPES.get(machineType);
    if (!shape) throw new UnknownMachineTypeError(machineType);
    return shape;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * The kubelet's defaults, because components/cluster/rendered/kubeadm-config.ts's KubeletConfiguration sets none
 * of maxPods, kubeReserved, systemReserved or evictionHard (a test keeps that in step):
 * maxPods 110, nothing reserved, and evictionHard memory.available<100Mi, nodefs.available<10%
 * (kubelet.config.k8s.io/v1beta1 KubeletConfiguration defaults, Linux).
 */
export const KUBELET_DEFAULTS = { maxPods: 110, evictionMemoryMiB: 100, evictionNodefsPercent: 10 } as const;

/**
 * Memory the guest kernel keeps, so the node's memory capacity (MemTotal) is below the machine's
 * nominal size. The Cluster Autoscaler's own GCE estimate for Ubuntu on amd64 (our nodes' image,
 * ubuntu-2404-lts-amd64): kubernetes/autoscaler cluster-autoscaler/cloudprovider/gce/
 * gce_reserved.go, CalculateKernelReserved. Rounded up to a MiB: a template that overstates a
 * node makes the autoscaler add nodes for pods that then do not fit.
 */
function kernelReservedMiB(memoryMiB: number): number {
    const bytes = memoryMiB * MiB;
    const reserved =
        bytes / 64 + 16 * MiB + (bytes > 3 * GiB ? 64 * MiB : 0) + (bytes <= 8 * GiB ? 8 * MiB : 0) + Math.min(0.00175 * bytes, 248 * MiB) + 4 * MiB;
    return Math.ceil(reserved / MiB);
}

/**
 * The boot disk's bytes the root filesystem does not offer (partitions, filesystem metadata):
 * the same file's CalculateOSReservedEphemeralStorage for Ubuntu. GCE disk sizes are GiB.
 */
function osReservedDiskBytes(diskBytes: number): number {
    return Math.ceil(0.03083 * diskBytes) + Math.ceil(0.171 * GiB) + Math.min(100 * MiB, Math.ceil(0.001 * diskBytes));
}

/** A byte count as Kubernetes writes it: the largest binary suffix that divides it exactly. */
export function binaryQuantity(bytes: number): string {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`a byte quantity must be a whole number from 0, got ${bytes}`);
    const suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi"] as const;
    let [value, suffix] = [bytes, ""];
    for (const next of suffixes) {
        if (value === 0 || value % 1024 !== 0) break;
        [value, suffix] = [value / 1024, next];
    }
    return `${value}${suffix}`;
}

/** Kubernetes resource name -> quantity, as in a Node's status. */
export type ResourceList = Readonly<Record<"cpu" | "memory" | "ephemeral-storage" | "pods", string>>;

export interface NodeResources {
    readonly capacity: ResourceList;
    readonly allocatable: ResourceList;
}

/**
 * Capacity and allocatable of a fresh node: CPU as the machine's vCPUs; memory as the machine's
 * less the kernel's share; ephemeral storage as the root filesystem (kept in whole KiB, as the
 * kubelet reports it); pods as maxPods. Allocatable subtracts the kubelet's eviction thresholds
 * (nothing is reserved for the system or the kubelet on this cluster).
 */
export function nodeResources(machineType: string, diskSizeGb: number): NodeResources {
    if (!Number.isInteger(diskSizeGb) || diskSizeGb < 1) throw new RangeError(`diskSizeGb must be a whole number of GB, 1 or more, got ${diskSizeGb}`);
    const { vcpus, memoryMiB } = machineShape(machineType);
    const memoryCapacityMiB = memoryMiB - kernelReservedMiB(memoryMiB);
    const memoryAllocatableMiB = memoryCapacityMiB - KUBELET_DEFAULTS.evictionMemoryMiB;
    const diskBytes = diskSizeGb * GiB;
    const storageKiB = Math.floor((diskBytes - osReservedDiskBytes(diskBytes)) / KiB);
    const storageAllocatableKiB = storageKiB - Math.ceil((storageKiB * KUBELET_DEFAULTS.evictionNodefsPercent) / 100);
    const pods = String(KUBELET_DEFAULTS.maxPods);
    return {
        capacity: { cpu: String(vcpus), memory: binaryQuantity(memoryCapacityMiB * MiB), "ephemeral-storage": binaryQuantity(storageKiB * KiB), pods },
        allocatable: {
            cpu: String(vcpus),
            memory: binaryQuantity(memoryAllocatableMiB * MiB),
            "ephemeral-storage": binaryQuantity(storageAllocatableKiB * KiB),
            pods,
        },
    };
}
