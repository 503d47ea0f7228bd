import { strict as assert } from "assert";
import { firewallRules, IAP_TCP_FORWARDING_RANGE, NETWORK_TAGS } from "../../components/cluster/firewall-rules";

const rules = firewallRules({ adminCidrs: ["203.0.113.0/24"] });
const portsOf = (rule: (typeof rules)[number]) => rule.allows.flatMap((allow) => (allow.ports ?? []).map((port) => `${allow.protocol}/${port}`));

describe("firewall rules", () => {
    it("every rule names its target tags", () => {
        for (const rule of rules) assert.ok(rule.targetTags.length > 0, rule.name);
    });

    it("nothing open to the internet except 80/443 on HAProxy", () => {
        const open = rules.filter((rule) => rule.sourceRanges?.includes("0.0.0.0/0"));
        assert.deepEqual(
            open.map((rule) => [rule.targetTags, portsOf(rule)]),
            [[[NETWORK_TAGS.haproxy], ["tcp/80", "tcp/443"]]],
        );
    });

    it("22, 6443 and 10250 are only reachable from tags, IAP, the admin networks or the cluster's own egress", () => {
        const withEgress = firewallRules({ adminCidrs: ["203.0.113.0/24"], clusterEgress: "198.51.100.7/32" });
        for (const rule of withEgress.filter((r) => portsOf(r).some((port) => ["tcp/22", "tcp/6443", "tcp/10250"].includes(port)))) {
            const ranges = rule.sourceRanges ?? [];
            assert.ok(
                ranges.every((range) => [IAP_TCP_FORWARDING_RANGE, "203.0.113.0/24", "198.51.100.7/32"].includes(range)),
                `${rule.name}: ${ranges.join(", ")}`,
            );
        }
    });

    it("admits the cluster's egress address only when asked, and only to the API server and SSH on HAProxy", () => {
        assert.ok(rules.every((rule) => rule.name !== "cluster-egress-admin"));
        const withEgress = firewallRules({ adminCidrs: ["203.0.113.0/24"], clusterEgress: "198.51.100.7/32" });
        const fromEgress = withEgress.filter((rule) => rule.sourceRanges?.includes("198.51.100.7/32"));
        assert.deepEqual(
            fromEgress.map((rule) => [rule.name, rule.targetTags, portsOf(rule)]),
            [["cluster-egress-admin", [NETWORK_TAGS.haproxy], ["tcp/22", "tcp/6443"]]],
        );
        assert.deepEqual(withEgress.slice(0, rules.length), rules, "the other rules are unchanged");
    });

    it("nodes talk to each other only on the kubelet, Cilium and node-exporter ports", () => {
        const nodeToNode = rules.filter((rule) => rule.sourceTags?.includes(NETWORK_TAGS.node) && rule.targetTags.includes(NETWORK_TAGS.node));
        assert.deepEqual(nodeToNode.map(portsOf), [["tcp/10250", "tcp/4240", "udp/8472"], ["tcp/9100"]]);
    });

    it("SSH reaches nodes only from the bastion and IAP", () => {
        const ssh = rules.filter((rule) => portsOf(rule).includes("tcp/22") && rule.targetTags.includes(NETWORK_TAGS.node));
        assert.deepEqual(
            ssh.map((rule) => rule.sourceTags ?? rule.sourceRanges),
            [[NETWORK_TAGS.haproxy], [IAP_TCP_FORWARDING_RANGE]],
        );
    });

    it("refuses an empty admin list", () => {
        assert.throws(() => firewallRules({ adminCidrs: [] }), /at least one admin CIDR/);
    });
});
