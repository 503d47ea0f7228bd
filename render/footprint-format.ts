import { CostEstimate, PriceTable, quotaTotals } from "./footprint-cost";
import { DiskGroup, Footprint } from "./footprint";

/** The footprint report `npm run footprint` prints: plain text, one table per concern. */

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
    const line = (cells: readonly string[]) =>
        cells
            .map((cell, column) => cell.padEnd(widths[column]))
            .join("  ")
            .trimEnd();
    return [line(header), ...rows.map(line)].map((text) => `  ${text}`).join("\n");
}

const gib = (mib: number) => `${Number((mib / 1024).toFixed(2))} GiB`;
const usd = (amount: number) => `$${amount.toFixed(2)}`;

function diskRows(disks: readonly DiskGroup[]): string[][] {
    return disks.map((disk) => [disk.owner, String(disk.count), `${disk.sizeGb} GB`, disk.diskType, `${disk.count * disk.sizeGb} GB`]);
}

export function formatFootprint(title: string, footprint: Footprint, cost: CostEstimate, prices: PriceTable): string {
    const vmCount = footprint.vms.reduce((sum, vm) => sum + vm.count, 0);
    const vcpus = footprint.vms.reduce((sum, vm) => sum + vm.count * vm.vcpusEach, 0);
    const memoryMiB = footprint.vms.reduce((sum, vm) => sum + vm.count * vm.memoryMiBEach, 0);
    const quotas = quotaTotals(footprint);
    const sections = [
        `${title} (region ${footprint.region})`,
        `VMs: ${vmCount}, ${vcpus} vCPUs, ${gib(memoryMiB)} memory`,
        table(
            ["role", "machine type", "count", "vCPUs each", "memory each"],
            footprint.vms.map((vm) => [vm.role, vm.machineType, String(vm.count), String(vm.vcpusEach), gib(vm.memoryMiBEach)]),
        ),
        "Boot disks:",
        table(["owner", "count", "size", "type", "total"], diskRows(footprint.bootDisks)),
        "Persistent volumes the platform's charts claim (default StorageClass):",
        footprint.volumes.length > 0 ? table(["owner", "count", "size", "type", "total"], diskRows(footprint.volumes)) : "  none",
        `External IPv4 addresses: ${footprint.staticExternalAddresses.length} static (${footprint.staticExternalAddresses.join(", ")}), ${footprint.ephemeralExternalAddresses} ephemeral`,
        `Static internal addresses (IP pool): ${footprint.staticInternalAddresses}`,
        `Buckets: ${footprint.buckets.length > 0 ? footprint.buckets.join(", ") : "none"} (storage billed by use, not estimated)`,
        `Quota needed in ${footprint.region}:`,
        table(
            ["metric", "amount"],
            Object.entries(quotas).map(([metric, amount]) => [metric, String(amount)]),
        ),
        `Estimated cost per month (730 h, on-demand list prices ${prices.asOf}, an estimate, not a quote):`,
        table(
            ["item", "USD/month"],
            cost.lines.map((line) => [line.item, line.usdPerMonth === undefined ? "no price" : usd(line.usdPerMonth)]),
        ),
        `  total ${usd(cost.usdPerMonth)}${cost.unpriced.length > 0 ? ` + unpriced: ${cost.unpriced.join("; ")}` : ""}`,
        `  prices: ${prices.source}; without discounts, egress, NAT data processing, bucket storage or taxes`,
    ];
    return sections.join("\n");
}
