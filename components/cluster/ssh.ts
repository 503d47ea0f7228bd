import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";

/** How the program logs in to its VMs. */
export interface SshAccess {
    readonly user: string;
    /** OpenSSH private key (secret). */
    readonly privateKey: pulumi.Input<string>;
    /** Public address of the HAProxy VM, the only VM reachable from outside; it relays SSH to the nodes. */
    readonly bastionHost: pulumi.Input<string>;
}

// A fresh VM takes a minute or two before sshd answers; allow ~10 minutes of failed dials.
const DIAL = { dialErrorLimit: 40, perDialTimeout: 15 } as const;

/** Straight to the HAProxy VM's public address. */
export function bastionConnection(access: SshAccess): types.input.remote.ConnectionArgs {
    return { host: access.bastionHost, user: access.user, privateKey: access.privateKey, ...DIAL };
}

/** To a node's internal address, through the HAProxy VM. */
export function nodeConnection(access: SshAccess, host: pulumi.Input<string>): types.input.remote.ConnectionArgs {
    return { host, user: access.user, privateKey: access.privateKey, ...DIAL, proxy: bastionConnection(access) };
}
