import * as ipaddr from "ipaddr.js";

/** An IPv4 network in CIDR notation, parsed once. */
export interface Ipv4Network {
    /** The text it was parsed from, e.g. "10.10.0.0/24". */
    readonly cidr: string;
    readonly prefixLength: number;
    /** Number of addresses in the network, network and broadcast included. */
    readonly size: number;
}

/**
 * Parses an IPv4 CIDR. Returns a reason instead of throwing, so config validation can
 * report it against the key that held the value.
 */
export function parseIpv4Cidr(text: string): Ipv4Network | { readonly error: string } {
    const [address, prefix] = text.split("/");
    if (prefix === undefined || !/^\d{1,2}$/.test(prefix)) {
        return { error: "is not in CIDR notation (a.b.c.d/n)" };
    }
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) {
        return { error: "is not an IPv4 address with a prefix length" };
    }
    const prefixLength = Number(prefix);
    if (prefixLength > 32) {
        return { error: "has a prefix length above 32" };
    }
    const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
    if (network !== address) {
        return { error: `has host bits set (the network address is ${network}/${prefixLength})` };
    }
    return { cidr: text, prefixLength, size: 2 ** (32 - prefixLength) };
}

export function isIpv4Network(value: Ipv4Network | { readonly error: string }): value is Ipv4Network {
    return "cidr" in value;
}

/** True when the two networks share at least one address. */
export function cidrsOverlap(a: Ipv4Network, b: Ipv4Network): boolean {
    const [aBase] = ipaddr.IPv4.parseCIDR(a.cidr);
    const [bBase] = ipaddr.IPv4.parseCIDR(b.cidr);
    return aBase.match(ipaddr.IPv4.parseCIDR(b.cidr)) || bBase.match(ipaddr.IPv4.parseCIDR(a.cidr));
}

/** The address `offset` places after the network address of `network` (offset 0 is the network itself). */
export function addressAt(network: Ipv4Network, offset: number): string {
    if (!Number.isInteger(offset) || offset < 0 || offset >= network.size) {
        throw new RangeError(`offset ${offset} is outside ${network.cidr} (${network.size} addresses)`);
    }
    const base = ipaddr.IPv4.networkAddressFromCIDR(network.cidr).toByteArray();
    const value = (base[0] * 2 ** 24 + base[1] * 2 ** 16 + base[2] * 2 ** 8 + base[3] + offset) >>> 0;
    return ipaddr.fromByteArray([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]).toString();
}
