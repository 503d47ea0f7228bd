import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { firewallRules } from "./firewall-rules";

/**
 * The rules the program's own connections cross: the runner's SSH and API traffic to HAProxy,
 * HAProxy's SSH to the nodes and its API traffic to the control planes, a control plane's
 * kubectl through HAProxy. The HAProxy VM depends on them, so a destroy deletes them last.
 */
export const PROGRAM_PATH_RULES: readonly string[] = ["admin", "cluster-egress-admin", "ssh-from-bastion", "api-server", "api-endpoint"];

export interface NetworkArgs {
    readonly region: string;
    /** The node subnet's IPv4 range. */
    readonly subnetCidr: string;
    /** Networks allowed to reach the API server and SSH on the HAProxy VM. */
    readonly adminCidrs: readonly string[];
    /**
     * Admit the cluster's own egress address like an admin network, for something in the
     * cluster that runs `pulumi up` through HAProxy (the scaler).
     */
    readonly admitClusterEgress: boolean;
}

/**
 * A custom-mode VPC with one subnet, Cloud NAT for egress (nodes have no external address) on a
 * reserved address, and ingress firewall rules that each name their target tags.
 */
export class Network extends pulumi.ComponentResource {
    readonly network: gcp.compute.Network;
    readonly subnetwork: gcp.compute.Subnetwork;
    /** The one address the cluster's outbound traffic comes from (allow-list it elsewhere). */
    readonly egressIp: pulumi.Output<string>;
    /** PROGRAM_PATH_RULES' firewall rules: what everything that dials in must be deleted before. */
    readonly programPathRules: readonly gcp.compute.Firewall[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:Network", name, {}, opts);
        const parent = { parent: this };

        this.network = new gcp.compute.Network(
            `${name}-vpc`,
            { autoCreateSubnetworks: false, routingMode: "REGIONAL", description: "Kubernetes nodes and the HAProxy entry point" },
            parent,
        );
        this.subnetwork = new gcp.compute.Subnetwork(
            `${name}-nodes`,
            {
                network: this.network.id,
                region: args.region,
                ipCidrRange: args.subnetCidr,
                // Nodes pull images and reach Google APIs without external addresses.
                privateIpGoogleAccess: true,
            },
            parent,
        );
        const router = new gcp.compute.Router(`${name}-router`, { network: this.network.id, region: args.region }, parent);
        // A reserved NAT address, not Google's automatic pool: the cluster's egress is one known
        // address that a firewall rule (and any outside allow-list) can name. One address gives
        // 64,512 ports, room for about a thousand nodes at the default 64 ports per VM.
        const egressAddress = new gcp.compute.Address(
            `${name}-egress-ip`,
            { addressType: "EXTERNAL", region: args.region, networkTier: "PREMIUM", description: "Cloud NAT: the cluster's outbound address" },
            parent,
        );
        this.egressIp = egressAddress.address;
        new gcp.compute.RouterNat(
            `${name}-nat`,
            {
                router: router.name,
                region: args.region,
                natIpAllocateOption: "MANUAL_ONLY",
                natIps: [egressAddress.selfLink],
                sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
                subnetworks: [{ name: this.subnetwork.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
                logConfig: { enable: true, filter: "ERRORS_ONLY" },
            },
            parent,
        );
        const clusterEgress = args.admitClusterEgress ? pulumi.interpolate`${this.egressIp}/32` : undefined;
        const programPathRules: gcp.compute.Firewall[] = [];
        for (const rule of firewallRules({ adminCidrs: args.adminCidrs, clusterEgress })) {
            const firewall = new gcp.compute.Firewall(
                `${name}-allow-${rule.name}`,
                {
                    network: this.network.id,
                    description: rule.description,
                    direction: "INGRESS",
                    sourceRanges: rule.sourceRanges ? [...rule.sourceRanges] : undefined,
                    sourceTags: rule.sourceTags ? [...rule.sourceTags] : undefined,
                    targetTags: [...rule.targetTags],
                    allows: rule.allows.map((allow) => ({ protocol: allow.protocol, ports: allow.ports ? [...allow.ports] : undefined })),
                },
                parent,
            );
            if (PROGRAM_PATH_RULES.includes(rule.name)) programPathRules.push(firewall);
        }
        this.programPathRules = programPathRules;
        this.registerOutputs({ network: this.network.id, subnetwork: this.subnetwork.id, egressIp: this.egressIp });
    }
}
