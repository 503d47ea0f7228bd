import { quoteInput } from "./cli";
import { repeatedValues } from "./json-fields";
import { workerSlotCapacity } from "./address-plan";
import { cidrsOverlap, Ipv4Network } from "./cidr";
import { liesInsideRefusedRange, publicUnionSize, rangeUseProblem, RangeUse } from "./special-ranges";

/** The network keys, decoded, and the two that bound them. */
export interface NetworkKeys {
    readonly subnetCidr: Ipv4Network;
    readonly podCidr: Ipv4Network;
    readonly serviceCidr: Ipv4Network;
    readonly adminCidrs: readonly Ipv4Network[];
    readonly allowInternetWideAdminAccess: boolean;
    readonly controlPlaneCount: number;
    readonly maxWorkers: number;
}

type NetworkKey = "subnetCidr" | "podCidr" | "serviceCidr" | "adminCidrs";

/** At most this many admin networks: each is a source range of the API server's and SSH's firewall rules. */
export const MAX_ADMIN_CIDRS = 256;

/** The most internet addresses adminCidrs may admit together without the override: one /8 (private and shared space do not count). */
export const ADMIN_UNION_LIMIT = 2 ** 24;

/**
 * Problems with the network keys as a set, each against the key to change: the three cluster
 * ranges are private and disjoint and big enough; the admin sources, taken together, are bounded.
 */
export function networkProblems(c: NetworkKeys): { key: NetworkKey; message: string }[] {
    const problems: { key: NetworkKey; message: string }[] = [];
    const add = (key: NetworkKey, message: string) => problems.push({ key, message });

    const ranges: [NetworkKey, RangeUse, Ipv4Network][] = [
        ["subnetCidr", "subnet", c.subnetCidr],
        ["podCidr", "pods", c.podCidr],
        ["serviceCidr", "services", c.serviceCidr],
    ];
    ranges.forEach(([key, use, network], i) => {
        const special = rangeUseProblem(network, use);
        const other = ranges.slice(0, i).find(([, , earlier]) => cidrsOverlap(network, earlier));
        if (special) add(key, special);
        else if (other) add(key, `overlaps boutique-platform:${other[0]} (${other[2].cidr}); the node, pod and service ranges must be disjoint`);
    });

    const capacity = workerSlotCapacity(c.subnetCidr);
    if (c.maxWorkers > capacity) add("subnetCidr", `has room for ${capacity} worker slots, fewer than maxWorkers (${c.maxWorkers}); use a shorter prefix`);
    // kube-controller-manager gives each node a /24 of the pod range.
    const nodes = c.controlPlaneCount + c.maxWorkers;
    const podSlots = 2 ** Math.max(0, 24 - c.podCidr.prefixLength);
    if (podSlots < nodes) add("podCidr", `has ${podSlots} per-node /24 ranges, fewer than the ${nodes} nodes (control planes + maxWorkers)`);
    if (c.serviceCidr.prefixLength < 12) add("serviceCidr", "must be /12 or narrower (the API server's limit for IPv4 service ranges)");

    const admin = adminProblem(c.adminCidrs, c.allowInternetWideAdminAccess);
    if (admin) add("adminCidrs", admin);
    return problems;
}

function adminProblem(networks: readonly Ipv4Network[], internetWideAllowed: boolean): string | undefined {
    if (networks.length === 0) return "must list at least one network allowed to reach the API server and SSH";
    const [repeated] = repeatedValues(networks.map((network) => network.cidr));
    if (repeated !== undefined) return `must not repeat a network (repeated: ${repeated})`;
    const admitted = publicUnionSize(networks);
    if (admitted > ADMIN_UNION_LIMIT && !internetWideAllowed) {
        return `admits ${admitted} public addresses together, more than one /8 (${ADMIN_UNION_LIMIT}): that opens SSH and the API server to much of the internet; narrow it, or set boutique-platform:allowInternetWideAdminAccess to true to say that is meant`;
    }
    for (const network of networks) {
        // With the override, a wide range such as 0.0.0.0/0 may span special ranges; one that lies
        // wholly inside them (127.0.0.0/8 alone) is still a mistake.
        if (internetWideAllowed && !liesInsideRefusedRange(network, "admin")) continue;
        const problem = rangeUseProblem(network, "admin");
        if (problem) return `has ${quoteInput(network.cidr)}, which ${problem}`;
    }
    return undefined;
}
