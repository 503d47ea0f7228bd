import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { firewallRules } from "./firewall-rules";

export interface NetworkArgs {
    readonly region: string;
    /** The node subnet's IPv4 range. */
    readonly subnetCidr: string;
    /** Networks allowed to reach the API server and SSH on the HAProxy VM. */
    readonly adminCidrs: readonly string[];
}

/**
 * A custom-mode VPC with one subnet, Cloud NAT for egress (nodes have no external address), and
 * ingress firewall rules that each name their target tags.
 */
export class Network extends pulumi.ComponentResource {
    readonly network: gcp.compute.Network;
    readonly subnetwork: gcp.compute.Subnetwork;

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
        new gcp.compute.RouterNat(
            `${name}-nat`,
            {
                router: router.name,
                region: args.region,
                natIpAllocateOption: "AUTO_ONLY",
                sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
                subnetworks: [{ name: this.subnetwork.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
                logConfig: { enable: true, filter: "ERRORS_ONLY" },
            },
            parent,
        );
        for (const rule of firewallRules({ adminCidrs: args.adminCidrs })) {
            new gcp.compute.Firewall(
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
        }
        this.registerOutputs({ network: this.network.id, subnetwork: this.subnetwork.id });
    }
}
