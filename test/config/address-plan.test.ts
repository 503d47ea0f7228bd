import { strict as assert } from "assert";
import { controlPlaneAddress, EXTRA_POOL_CAPACITY, extraPoolAddress, haproxyAddress, workerAddress, workerSlotCapacity } from "../../config/address-plan";
import { addressAt, cidrsOverlap, isIpv4Network, Ipv4Network, parseIpv4Cidr } from "../../config/cidr";

function network(cidr: string): Ipv4Network {
    const parsed = parseIpv4Cidr(cidr);
    assert.ok(isIpv4Network(parsed), cidr);
    return parsed;
}

describe("CIDR helpers", () => {
    it("parses networks and explains what is wrong with the rest", () => {
        assert.deepEqual(network("10.10.0.0/24"), { cidr: "10.10.0.0/24", prefixLength: 24, size: 256 });
        assert.deepEqual(parseIpv4Cidr("10.10.0.1/24"), { error: "has host bits set (the network address is 10.10.0.0/24)" });
        assert.deepEqual(parseIpv4Cidr("10.10.0.0"), { error: "is not in CIDR notation (a.b.c.d/n)" });
        assert.deepEqual(parseIpv4Cidr("fd00::/8"), { error: "is not an IPv4 address with a prefix length" });
    });

    it("detects overlap in either direction", () => {
        assert.equal(cidrsOverlap(network("10.0.0.0/8"), network("10.244.0.0/16")), true);
        assert.equal(cidrsOverlap(network("10.244.0.0/16"), network("10.0.0.0/8")), true);
        assert.equal(cidrsOverlap(network("10.244.0.0/16"), network("10.245.0.0/16")), false);
    });

    it("computes addresses across octet boundaries and refuses offsets outside the network", () => {
        assert.equal(addressAt(network("10.10.0.0/23"), 300), "10.10.1.44");
        assert.throws(() => addressAt(network("10.10.0.0/24"), 256), /offset 256 is outside 10.10.0.0\/24/);
    });
});

describe("address plan", () => {
    const subnet = network("10.10.0.0/24");

    it("gives every role a fixed address", () => {
        assert.equal(haproxyAddress(subnet), "10.10.0.2");
        assert.deepEqual(
            [0, 1, 2].map((i) => controlPlaneAddress(subnet, i)),
            ["10.10.0.8", "10.10.0.9", "10.10.0.10"],
        );
        assert.deepEqual(
            [0, 5, 221].map((slot) => workerAddress(subnet, slot)),
            ["10.10.0.32", "10.10.0.37", "10.10.0.253"],
        );
    });

    it("keeps Google's reserved addresses free and all slots distinct", () => {
        assert.equal(workerSlotCapacity(subnet), 222);
        assert.throws(() => workerAddress(subnet, 222), /does not fit in 10.10.0.0\/24 \(222 worker slots\)/);
        const all = [
            haproxyAddress(subnet),
            ...[0, 1, 2].map((i) => controlPlaneAddress(subnet, i)),
            ...Array.from({ length: 222 }, (_, s) => workerAddress(subnet, s)),
        ];
        assert.equal(new Set(all).size, all.length);
        assert.ok(!all.includes("10.10.0.0") && !all.includes("10.10.0.1") && !all.includes("10.10.0.254") && !all.includes("10.10.0.255"));
    });

    it("gives dedicated pools 16 addresses between the control planes and the workers", () => {
        assert.equal(EXTRA_POOL_CAPACITY, 16);
        assert.deepEqual(
            [0, 15].map((i) => extraPoolAddress(subnet, i)),
            ["10.10.0.16", "10.10.0.31"],
        );
        assert.throws(() => extraPoolAddress(subnet, 16), /dedicated-pool node 16 is outside 0..15/);
        const workers = Array.from({ length: 222 }, (_, slot) => workerAddress(subnet, slot));
        assert.ok(Array.from({ length: 16 }, (_, i) => extraPoolAddress(subnet, i)).every((address) => !workers.includes(address)));
    });

    it("a slot's address does not depend on how many slots exist", () => {
        assert.equal(workerAddress(network("10.10.0.0/20"), 5), workerAddress(network("10.10.0.0/24"), 5));
    });
});
