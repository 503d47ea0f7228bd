/** Network tags by role: every firewall rule targets one of these, never the whole VPC. */
export const NETWORK_TAGS = {
    /** Every Kubernetes node, control plane or worker. */
    node: "k8s-node",
    controlPlane: "k8s-control-plane",
    worker: "k8s-worker",
    haproxy: "haproxy",
} as const;

/** Google's Identity-Aware Proxy source range for TCP forwarding (`gcloud compute ssh --tunnel-through-iap`). */
export const IAP_TCP_FORWARDING_RANGE = "35.235.240.0/20";

export const CLUSTER_PORTS = {
    ssh: 22,
    apiServer: 6443,
    kubelet: 10250,
    etcd: "2379-2380",
    /** Cilium's VXLAN overlay (UDP). */
    ciliumVxlan: 8472,
    /** Cilium's node-to-node health checks. */
    ciliumHealth: 4240,
    /** The Istio ingress gateway's fixed NodePorts, HAProxy's ingress targets. */
    ingressHttpNodePort: 30080,
    ingressHttpsNodePort: 30443,
    /** node-exporter (host network): Prometheus scrapes it on every node's own address. */
    nodeExporter: 9100,
    /** HAProxy's Prometheus exporter on its internal address. */
    haproxyMetrics: 8405,
} as const;

export interface FirewallAllow {
    readonly protocol: "tcp" | "udp" | "icmp";
    readonly ports?: readonly string[];
}

/** One ingress rule: who (source ranges or tags) may reach which tagged VMs on what. */
export interface FirewallRuleSpec<Range = string> {
    /** Short role name; the component prefixes it. */
    readonly name: string;
    readonly description: string;
    readonly sourceRanges?: readonly Range[];
    readonly sourceTags?: readonly string[];
    readonly targetTags: readonly string[];
    readonly allows: readonly FirewallAllow[];
}

const tcp = (...ports: (number | string)[]): FirewallAllow => ({ protocol: "tcp", ports: ports.map(String) });

export interface FirewallRulesInput<Range> {
    readonly adminCidrs: readonly string[];
    /**
     * The cluster's own egress range (its Cloud NAT address as a /32), admitted like an admin
     * network when something in the cluster runs `pulumi up` (the scaler). A stack's SSH
     * connections and kubeconfig name HAProxy's public address wherever they run, and changing
     * a command's connection would re-run it, so the cluster comes in the same way a person does.
     */
    readonly clusterEgress?: Range;
}

/**
 * The VPC's ingress rules. Everything not listed is denied by the VPC's implied deny-ingress
 * rule. Only 80/443 on the HAProxy VM face the internet; SSH and the API server only face
 * `adminCidrs` (and the cluster's own egress address when asked), the bastion and IAP.
 */
export function firewallRules<Range = string>(input: FirewallRulesInput<Range>): FirewallRuleSpec<string | Range>[] {
    if (input.adminCidrs.length === 0) {
        throw new Error("firewallRules needs at least one admin CIDR");
    }
    const { node, controlPlane, worker, haproxy } = NETWORK_TAGS;
    const p = CLUSTER_PORTS;
    const clusterEgress: FirewallRuleSpec<Range>[] =
        input.clusterEgress === undefined
            ? []
            : [
                  {
                      name: "cluster-egress-admin",
                      description: "API server and SSH bastion on HAProxy, from the cluster's own NAT address (the in-cluster scaler's pulumi up)",
                      sourceRanges: [input.clusterEgress],
                      targetTags: [haproxy],
                      allows: [tcp(p.ssh, p.apiServer)],
                  },
              ];
    return [
        {
            name: "node-to-node",
            description: "Kubelet API, Cilium VXLAN overlay and health checks between Kubernetes nodes",
            sourceTags: [node],
            targetTags: [node],
            allows: [tcp(p.kubelet, p.ciliumHealth), { protocol: "udp", ports: [String(p.ciliumVxlan)] }, { protocol: "icmp" }],
        },
        {
            name: "node-metrics",
            description: "Prometheus scrapes node-exporter on each node's own address (host network; a pod's packets to a node leave from its node)",
            sourceTags: [node],
            targetTags: [node],
            allows: [tcp(p.nodeExporter)],
        },
        {
            name: "api-server",
            description: "API server on control planes, from HAProxy and from nodes (pods reach the kubernetes Service's endpoints directly)",
            sourceTags: [haproxy, node],
            targetTags: [controlPlane],
            allows: [tcp(p.apiServer)],
        },
        {
            name: "etcd-peers",
            description: "etcd client and peer traffic between control planes (stacked etcd)",
            sourceTags: [controlPlane],
            targetTags: [controlPlane],
            allows: [tcp(p.etcd)],
        },
        {
            name: "api-endpoint",
            description: "Nodes reach the API server through HAProxy, the cluster's controlPlaneEndpoint",
            sourceTags: [node],
            targetTags: [haproxy],
            allows: [tcp(p.apiServer)],
        },
        {
            name: "haproxy-metrics",
            description: "Prometheus (on the workers) scrapes HAProxy's exporter on its internal address",
            sourceTags: [node],
            targetTags: [haproxy],
            allows: [tcp(p.haproxyMetrics)],
        },
        {
            name: "ingress-node-ports",
            description: "HAProxy forwards 80/443 to the Istio ingress gateway's NodePorts on workers",
            sourceTags: [haproxy],
            targetTags: [worker],
            allows: [tcp(p.ingressHttpNodePort, p.ingressHttpsNodePort)],
        },
        {
            name: "ssh-from-bastion",
            description: "SSH to nodes only through the HAProxy VM acting as bastion",
            sourceTags: [haproxy],
            targetTags: [node],
            allows: [tcp(p.ssh)],
        },
        {
            name: "ssh-from-control-planes",
            description: "SSH from control planes to workers: a control plane runs each worker's join (join-worker.sh) with the worker-only join key",
            sourceTags: [controlPlane],
            targetTags: [worker],
            allows: [tcp(p.ssh)],
        },
        {
            name: "ssh-from-iap",
            description: "SSH through Identity-Aware Proxy TCP forwarding",
            sourceRanges: [IAP_TCP_FORWARDING_RANGE],
            targetTags: [node, haproxy],
            allows: [tcp(p.ssh)],
        },
        {
            name: "public-web",
            description: "Public HTTP and HTTPS to the HAProxy entry point",
            sourceRanges: ["0.0.0.0/0"],
            targetTags: [haproxy],
            allows: [tcp(80, 443)],
        },
        {
            name: "admin",
            description: "API server and SSH bastion on HAProxy, from the admin networks only",
            sourceRanges: [...input.adminCidrs],
            targetTags: [haproxy],
            allows: [tcp(p.ssh, p.apiServer)],
        },
        ...clusterEgress,
    ];
}
