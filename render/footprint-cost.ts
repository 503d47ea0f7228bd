import { DiskGroup, Footprint, VmGroup } from "./footprint";

/**
 * Quota totals and an estimated monthly cost of a footprint. Pure arithmetic over a pinned price
 * table: an estimate to plan with, never a quote (no sustained-use or committed-use discounts,
 * no egress, no NAT data processing, no bucket storage or operations, no taxes).
 */

/** Google bills a month as 730 hours. */
export const HOURS_PER_MONTH = 730;

export interface RegionPrices {
    /** USD per hour, per vCPU and per GiB of memory, by machine family ("e2", "n2", ...). */
    readonly perVcpuHour: Readonly<Record<string, number>>;
    readonly perGibHour: Readonly<Record<string, number>>;
    /** USD per hour of the shared-core types, which are not priced per vCPU. */
    readonly sharedCoreHour: Readonly<Record<string, number>>;
    /** USD per GB-month, by disk type. */
    readonly diskGbMonth: Readonly<Record<string, number>>;
    /** USD per hour of a static external IPv4 address in use (by a VM or Cloud NAT). */
    readonly externalIpHour: number;
    /** USD per hour of Cloud NAT per VM using it, capped at natVmCap VMs. */
    readonly natVmHour: number;
    readonly natVmCap: number;
}

export interface PriceTable {
    /** When the figures were taken and from where, printed with every estimate. */
    readonly asOf: string;
    readonly source: string;
    readonly regions: Readonly<Record<string, RegionPrices>>;
}

/**
 * On-demand list prices, USD. APPROXIMATIONS as of 2026-11-28: recalled from Google's public
 * pages (https://cloud.google.com/compute/vm-instance-pricing, /compute/disks-image-pricing,
 * /vpc/network-pricing#ipaddress, /nat/pricing); they could not be re-read from the source that
 * day. Check the pages (or the Pricing Calculator) before a budget depends on them.
 */
export const PRICES: PriceTable = {
    asOf: "2026-11-28 (approximate)",
    source: "cloud.google.com/compute/vm-instance-pricing, /compute/disks-image-pricing, /vpc/network-pricing, /nat/pricing",
    regions: {
        "us-central1": {
            perVcpuHour: { e2: 0.021811, n2: 0.031611, n2d: 0.027502, n1: 0.031611 },
            perGibHour: { e2: 0.002923, n2: 0.004237, n2d: 0.003686, n1: 0.004237 },
            sharedCoreHour: { "e2-micro": 0.008376, "e2-small": 0.016751, "e2-medium": 0.033503 },
            diskGbMonth: { "pd-balanced": 0.1, "pd-standard": 0.04, "pd-ssd": 0.17 },
            externalIpHour: 0.005,
            natVmHour: 0.0014,
            natVmCap: 32,
        },
        "europe-west1": {
            perVcpuHour: { e2: 0.023977, n2: 0.034773, n2d: 0.030253, n1: 0.034773 },
            perGibHour: { e2: 0.003213, n2: 0.004661, n2d: 0.004055, n1: 0.004661 },
            sharedCoreHour: { "e2-micro": 0.009215, "e2-small": 0.018429, "e2-medium": 0.036858 },
            diskGbMonth: { "pd-balanced": 0.11, "pd-standard": 0.044, "pd-ssd": 0.187 },
            externalIpHour: 0.005,
            natVmHour: 0.0014,
            natVmCap: 32,
        },
    },
};

/** The regional CPU quota a machine family counts against (E2 and N1 share CPUS). */
export function cpuQuotaOf(machineType: string): string {
    const family = machineType.split("-")[0];
    return family === "e2" || family === "n1" ? "CPUS" : `${family.toUpperCase()}_CPUS`;
}

/** The regional disk quota a disk type counts against. */
export function diskQuotaOf(diskType: string): string | undefined {
    if (diskType === "node-local") return undefined;
    return diskType === "pd-standard" ? "DISKS_TOTAL_GB" : "SSD_TOTAL_GB";
}

/** Quota metric -> amount, for the stack's region. */
export function quotaTotals(footprint: Footprint): Record<string, number> {
    const totals: Record<string, number> = {};
    const add = (metric: string | undefined, amount: number) => {
        if (metric !== undefined && amount > 0) totals[metric] = (totals[metric] ?? 0) + amount;
    };
    for (const vm of footprint.vms) add(cpuQuotaOf(vm.machineType), vm.count * vm.vcpusEach);
    add(
        "INSTANCES",
        footprint.vms.reduce((sum, vm) => sum + vm.count, 0),
    );
    for (const disk of [...footprint.bootDisks, ...footprint.volumes]) add(diskQuotaOf(disk.diskType), disk.count * disk.sizeGb);
    add("IN_USE_ADDRESSES", footprint.staticExternalAddresses.length + footprint.ephemeralExternalAddresses);
    add("STATIC_ADDRESSES", footprint.staticExternalAddresses.length);
    add("INTERNAL_ADDRESSES", footprint.staticInternalAddresses);
    return totals;
}

/** One priced line of an estimate; `usdPerMonth` undefined when the table has no price for it. */
export interface CostLine {
    readonly item: string;
    readonly usdPerMonth: number | undefined;
}

export interface CostEstimate {
    readonly lines: readonly CostLine[];
    /** Sum of the priced lines. */
    readonly usdPerMonth: number;
    /** Items the table has no price for (they are left out of the sum). */
    readonly unpriced: readonly string[];
}

/** USD per hour of one VM of `vm`'s type, or undefined when the table does not price it. */
export function vmHourPrice(vm: Pick<VmGroup, "machineType" | "vcpusEach" | "memoryMiBEach">, prices: RegionPrices): number | undefined {
    const shared = prices.sharedCoreHour[vm.machineType];
    if (shared !== undefined) return shared;
    const family = vm.machineType.split("-")[0];
    const perVcpu = prices.perVcpuHour[family];
    const perGib = prices.perGibHour[family];
    if (perVcpu === undefined || perGib === undefined) return undefined;
    return vm.vcpusEach * perVcpu + (vm.memoryMiBEach / 1024) * perGib;
}

function diskLine(disk: DiskGroup, prices: RegionPrices): CostLine {
    const item = `${disk.count} x ${disk.sizeGb} GB ${disk.diskType} (${disk.owner})`;
    if (disk.diskType === "node-local") return { item, usdPerMonth: 0 }; // on the boot disks, already counted
    const perGb = prices.diskGbMonth[disk.diskType];
    return { item, usdPerMonth: perGb === undefined ? undefined : disk.count * disk.sizeGb * perGb };
}

/** The monthly estimate of a footprint in its region; throws when the table has no such region. */
export function monthlyCost(footprint: Footprint, table: PriceTable = PRICES): CostEstimate {
    const prices = table.regions[footprint.region];
    if (prices === undefined) throw new Error(`no prices for region ${footprint.region} (priced: ${Object.keys(table.regions).join(", ")})`);
    const vmLines = footprint.vms.map((vm): CostLine => {
        const hourly = vmHourPrice(vm, prices);
        return { item: `${vm.count} x ${vm.machineType} (${vm.role})`, usdPerMonth: hourly === undefined ? undefined : vm.count * hourly * HOURS_PER_MONTH };
    });
    const external = footprint.staticExternalAddresses.length + footprint.ephemeralExternalAddresses;
    const lines: CostLine[] = [
        ...vmLines,
        ...[...footprint.bootDisks, ...footprint.volumes].map((disk) => diskLine(disk, prices)),
        { item: `${external} x external IPv4 address in use`, usdPerMonth: external * prices.externalIpHour * HOURS_PER_MONTH },
        {
            item: `Cloud NAT for ${footprint.vmsBehindNat} VMs (without data processing)`,
            usdPerMonth: Math.min(footprint.vmsBehindNat, prices.natVmCap) * prices.natVmHour * HOURS_PER_MONTH,
        },
    ];
    const priced = lines.flatMap((line) => (line.usdPerMonth === undefined ? [] : [line.usdPerMonth]));
    return {
        lines,
        usdPerMonth: priced.reduce((sum, usd) => sum + usd, 0),
        unpriced: lines.filter((line) => line.usdPerMonth === undefined).map((line) => line.item),
    };
}
