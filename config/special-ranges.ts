import * as ipaddr from "ipaddr.js";
import { Ipv4Network } from "./cidr";

/**
 * The IPv4 special-purpose ranges (RFC 6890 and the IANA IPv4 Special-Purpose Address Registry it
 * set up, plus multicast, RFC 5771), and what each config range may overlap:
 * - `admin` ranges are firewall sources: a packet can come from a private network (a VPN, a peered
 *   VPC) or the internet, never from "this network", loopback, link-local, multicast or the
 *   reserved block. The documentation ranges stay allowed: they are the examples' placeholders, and a
 *   rule admitting a range no packet comes from opens nothing.
 * - `subnet`, `pods` and `services` are the cluster's own address space: private-use (RFC 1918) or
 *   shared (RFC 6598) only. Anything else shadows addresses the nodes or pods must reach: public
 *   ones on the internet, link-local 169.254.169.254 (the metadata server), loopback, multicast.
 */
export type RangeUse = "admin" | "subnet" | "pods" | "services";

interface SpecialRange {
    readonly cidr: string;
    readonly name: string;
    readonly rfc: string;
    /** The config ranges that may contain it. */
    readonly allowedIn: readonly RangeUse[];
}

const CLUSTER_SPACE: readonly RangeUse[] = ["admin", "subnet", "pods", "services"];
const SOURCE_ONLY: readonly RangeUse[] = ["admin"];
const NOWHERE: readonly RangeUse[] = [];

export const SPECIAL_RANGES: readonly SpecialRange[] = [
    { cidr: "0.0.0.0/8", name: '"this network"', rfc: "RFC 791", allowedIn: NOWHERE },
    { cidr: "10.0.0.0/8", name: "private-use", rfc: "RFC 1918", allowedIn: CLUSTER_SPACE },
    { cidr: "100.64.0.0/10", name: "shared address space", rfc: "RFC 6598", allowedIn: CLUSTER_SPACE },
    { cidr: "127.0.0.0/8", name: "loopback", rfc: "RFC 1122", allowedIn: NOWHERE },
    { cidr: "169.254.0.0/16", name: "link-local (the metadata server's 169.254.169.254)", rfc: "RFC 3927", allowedIn: NOWHERE },
    { cidr: "172.16.0.0/12", name: "private-use", rfc: "RFC 1918", allowedIn: CLUSTER_SPACE },
    { cidr: "192.0.0.0/24", name: "IETF protocol assignments", rfc: "RFC 6890", allowedIn: NOWHERE },
    { cidr: "192.0.2.0/24", name: "documentation (TEST-NET-1)", rfc: "RFC 5737", allowedIn: SOURCE_ONLY },
    { cidr: "192.88.99.0/24", name: "deprecated 6to4 relay anycast", rfc: "RFC 7526", allowedIn: NOWHERE },
    { cidr: "192.168.0.0/16", name: "private-use", rfc: "RFC 1918", allowedIn: CLUSTER_SPACE },
    { cidr: "198.18.0.0/15", name: "benchmarking", rfc: "RFC 2544", allowedIn: SOURCE_ONLY },
    { cidr: "198.51.100.0/24", name: "documentation (TEST-NET-2)", rfc: "RFC 5737", allowedIn: SOURCE_ONLY },
    { cidr: "203.0.113.0/24", name: "documentation (TEST-NET-3)", rfc: "RFC 5737", allowedIn: SOURCE_ONLY },
    { cidr: "224.0.0.0/4", name: "multicast", rfc: "RFC 5771", allowedIn: NOWHERE },
    { cidr: "240.0.0.0/4", name: "reserved (and the limited broadcast 255.255.255.255)", rfc: "RFC 1112", allowedIn: NOWHERE },
];

/** What each use allows outside the table: only admin sources may be ordinary public addresses. */
const PUBLIC_ALLOWED_IN: readonly RangeUse[] = ["admin"];

function bounds(cidr: string): [number, number] {
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const bytes = address.toByteArray();
    const first = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    return [first, first + 2 ** (32 - prefix) - 1];
}

const TABLE = SPECIAL_RANGES.map((range) => ({ ...range, bounds: bounds(range.cidr) }));

/** The first address and the last of `network`, as unsigned 32-bit numbers. */
export function networkBounds(network: Ipv4Network): [number, number] {
    return bounds(network.cidr);
}

/**
 * Why `network` makes no sense as a range of this use, naming the special range it reaches into
 * and its RFC; undefined when it is acceptable. Addresses in no special range are public.
 */
export function rangeUseProblem(network: Ipv4Network, use: RangeUse): string | undefined {
    const [first, last] = networkBounds(network);
    let covered = 0;
    for (const range of TABLE) {
        const [start, end] = range.bounds;
        if (end < first || start > last) continue;
        if (!range.allowedIn.includes(use)) return `reaches into ${range.cidr}, ${range.name} (${range.rfc}), which makes no sense ${USE_WORDS[use]}`;
        covered += Math.min(end, last) - Math.max(start, first) + 1;
    }
    const isPublicToo = covered < last - first + 1;
    if (isPublicToo && !PUBLIC_ALLOWED_IN.includes(use)) {
        return `holds public addresses ${USE_WORDS[use]}: use private-use space (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, RFC 1918) or 100.64.0.0/10 (RFC 6598), or the cluster cannot reach those internet addresses`;
    }
    return undefined;
}

/** Whether `network` lies wholly inside one special range that refuses this use (127.0.0.0/8 alone, 224.0.0.0/8). */
export function liesInsideRefusedRange(network: Ipv4Network, use: RangeUse): boolean {
    const [first, last] = networkBounds(network);
    return TABLE.some(({ bounds: [start, end], allowedIn }) => start <= first && last <= end && !allowedIn.includes(use));
}

const USE_WORDS: Readonly<Record<RangeUse, string>> = {
    admin: "as a source of admin traffic",
    subnet: "as the nodes' subnet",
    pods: "as the pod range",
    services: "as the service range",
};

/** The networks' addresses as disjoint, sorted [first, last] intervals: the sort is the only super-linear step. */
function mergedIntervals(networks: readonly Ipv4Network[]): [number, number][] {
    const merged: [number, number][] = [];
    for (const [first, last] of networks.map(networkBounds).sort((a, b) => a[0] - b[0])) {
        const previous = merged[merged.length - 1];
        if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
        else merged.push([first, last]);
    }
    return merged;
}

/** How many distinct addresses `networks` cover together (overlaps counted once), in n log n. */
export function unionSize(networks: readonly Ipv4Network[]): number {
    return mergedIntervals(networks).reduce((total, [first, last]) => total + last - first + 1, 0);
}

const PRIVATE_SPACE = TABLE.filter((range) => range.allowedIn.includes("pods")).map((range) => range.bounds);

/** How many distinct addresses outside private-use and shared space `networks` cover together: how much of the internet they admit. */
export function publicUnionSize(networks: readonly Ipv4Network[]): number {
    let total = 0;
    for (const [first, last] of mergedIntervals(networks)) {
        // Both lists are disjoint, so the overlaps add up exactly.
        const privateInside = PRIVATE_SPACE.reduce((sum, [start, end]) => sum + Math.max(0, Math.min(end, last) - Math.max(start, first) + 1), 0);
        total += last - first + 1 - privateInside;
    }
    return total;
}
