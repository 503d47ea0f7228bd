import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { controlPlaneAddress, extraPoolAddress, haproxyAddress, workerAddress } from "../../config/address-plan";
import { Ipv4Network } from "../../config/cidr";

/** A slot's address: the plain IP (known from config, used in rendered files) and its reservation. */
export interface ReservedAddress {
    readonly ip: string;
    /** VMs take their address from here, so they wait for the reservation. */
    readonly reservation: gcp.compute.Address;
}

export interface IpPoolArgs {
    readonly region: string;
    readonly subnetwork: pulumi.Input<string>;
    readonly subnet: Ipv4Network;
    readonly controlPlaneCount: number;
    /** Worker slots 0..maxWorkers-1 each get an address, whether live or not. */
    readonly maxWorkers: number;
    /** Dedicated Loki nodes, addressed from the extra-pool range. */
    readonly lokiNodeCount: number;
}

/**
 * A reserved static internal address per node slot: HAProxy, each control plane, and every
 * worker slot up to `maxWorkers`. Addresses come from the fixed address plan, so a slot keeps
 * its address for life; reserving the whole worker range up front means a scale change never
 * creates or deletes an address, and a slot that comes back gets the same one.
 */
export class IpPool extends pulumi.ComponentResource {
    readonly haproxy: ReservedAddress;
    readonly controlPlanes: readonly ReservedAddress[];
    /** Indexed by worker slot. */
    readonly workers: readonly ReservedAddress[];
    readonly lokiNodes: readonly ReservedAddress[];

    constructor(name: string, args: IpPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:IpPool", name, {}, opts);
        const reserve = (role: string, ip: string): ReservedAddress => ({
            ip,
            reservation: new gcp.compute.Address(
                `${role}-ip`,
                {
                    addressType: "INTERNAL",
                    purpose: "GCE_ENDPOINT",
                    region: args.region,
                    subnetwork: args.subnetwork,
                    address: ip,
                    description: `Static address of ${role}`,
                },
                { parent: this },
            ),
        });
        this.haproxy = reserve("haproxy", haproxyAddress(args.subnet));
        this.controlPlanes = Array.from({ length: args.controlPlaneCount }, (_, i) => reserve(`cp-${i}`, controlPlaneAddress(args.subnet, i)));
        this.workers = Array.from({ length: args.maxWorkers }, (_, slot) => reserve(`worker-${slot}`, workerAddress(args.subnet, slot)));
        this.lokiNodes = Array.from({ length: args.lokiNodeCount }, (_, i) => reserve(`loki-${i}`, extraPoolAddress(args.subnet, i)));
        this.registerOutputs({
            haproxy: this.haproxy.ip,
            controlPlanes: this.controlPlanes.map((a) => a.ip),
            workers: this.workers.map((a) => a.ip),
            lokiNodes: this.lokiNodes.map((a) => a.ip),
        });
    }
}
