import { CommandCapturingCloud, remoteCommands, RemoteCommand } from "./command-engine";
import { evaluateDev } from "./program";

/** The cluster layer's commands: bring-ups and memberships (HAProxy, rolls and the platform's gates are left out). */
const CLUSTER_COMMAND = /^(cluster-init|cp-\d+-(bring-up|membership)|worker-\d+-membership)$/;

export interface ClusterCommands {
    readonly commands: RemoteCommand[];
    /** A node's VM address, as its scripts name it. */
    readonly addressOf: (node: string) => string;
    /** Every VM address the commands dial or name. */
    readonly hosts: string[];
}

/** The dev stack's cluster commands (with config overrides), as the command provider would receive them. */
export async function clusterCommands(overrides: Record<string, string> = {}): Promise<ClusterCommands> {
    const cloud = new CommandCapturingCloud();
    const evaluation = await evaluateDev(overrides, cloud);
    const commands = remoteCommands(evaluation, cloud).filter((command) => CLUSTER_COMMAND.test(command.name));
    const addresses = new Map<string, string>();
    for (const command of commands) {
        const node = /readonly NODE_NAME='([a-z0-9-]+)'/.exec(command.create ?? "")?.[1];
        const address = /readonly NODE_ADDRESS='([0-9.]+)'/.exec(command.create ?? "")?.[1];
        if (node && address) addresses.set(node, address);
    }
    const addressOf = (node: string) => {
        const address = addresses.get(node);
        if (!address) throw new Error(`no address for ${node}`);
        return address;
    };
    return { commands, addressOf, hosts: [...new Set([...commands.map((command) => command.host), ...addresses.values()])] };
}

/** The same commands after `names`' VM was replaced: their trigger is the new VM's instanceId. */
export function withNewInstanceId(commands: readonly RemoteCommand[], names: readonly string[], instanceId: string): RemoteCommand[] {
    const missing = names.filter((name) => !commands.some((command) => command.name === name));
    if (missing.length > 0) throw new Error(`no commands named ${missing.join(", ")}`);
    return commands.map((command) => (names.includes(command.name) ? { ...command, triggers: [instanceId] } : command));
}
