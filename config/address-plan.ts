import { addressAt, Ipv4Network } from "./cidr";

/**
 * Where each node slot's static internal address sits in the subnet, as an offset from the
 * network address. The offsets are fixed, not packed, so that changing the control-plane
 * count or `maxWorkers` never moves another node's address.
 *
 * Google Cloud reserves the first two addresses of a subnet (network, gateway) and the last two.
 */
export const ADDRESS_OFFSETS = {
    haproxy: 2,
    /** Control planes 0..2. */
    firstControlPlane: 8,
    maxControlPlanes: 3,
    /** 16..31 are kept free for dedicated node pools that later layers add. */
    firstExtraPool: 16,
    /** Worker slot n is at firstWorker + n. */
    firstWorker: 32,
} as const;

const RESERVED_AT_TOP = 2;

/** How many worker slots fit in the subnet. */
export function workerSlotCapacity(subnet: Ipv4Network): number {
    return Math.max(0, subnet.size - RESERVED_AT_TOP - ADDRESS_OFFSETS.firstWorker);
}

export function haproxyAddress(subnet: Ipv4Network): string {
    return addressAt(subnet, ADDRESS_OFFSETS.haproxy);
}

export function controlPlaneAddress(subnet: Ipv4Network, index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= ADDRESS_OFFSETS.maxControlPlanes) {
        throw new RangeError(`control-plane index ${index} is outside 0..${ADDRESS_OFFSETS.maxControlPlanes - 1}`);
    }
    return addressAt(subnet, ADDRESS_OFFSETS.firstControlPlane + index);
}

export function workerAddress(subnet: Ipv4Network, slot: number): string {
    if (!Number.isInteger(slot) || slot < 0 || slot >= workerSlotCapacity(subnet)) {
        throw new RangeError(`worker slot ${slot} does not fit in ${subnet.cidr} (${workerSlotCapacity(subnet)} worker slots)`);
    }
    return addressAt(subnet, ADDRESS_OFFSETS.firstWorker + slot);
}

/** How many nodes the dedicated pools' range (16..31) holds. */
export const EXTRA_POOL_CAPACITY = ADDRESS_OFFSETS.firstWorker - ADDRESS_OFFSETS.firstExtraPool;

/** The address of node `index` of the dedicated pools' range. */
export function extraPoolAddress(subnet: Ipv4Network, index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= EXTRA_POOL_CAPACITY) {
        throw new RangeError(`dedicated-pool node ${index} is outside 0..${EXTRA_POOL_CAPACITY - 1}`);
    }
    return addressAt(subnet, ADDRESS_OFFSETS.firstExtraPool + index);
}
