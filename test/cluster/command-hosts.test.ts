import { strict as assert } from "assert";
import { Evaluation } from "../../render/evaluation";
import { CommandCapturingCloud } from "../support/command-engine";
import { evaluateDev } from "../support/program";

/**
 * The seam between a remote command and the VM it dials: the command provider dials its host on
 * create, so a command that runs something on create must wait (directly or through other
 * resources) for the VM at that address. Otherwise, on a new cluster, it dials a VM that does not
 * exist yet and fails after its dial budget (a command with no create dials nothing until it runs
 * an update or delete, when its VM exists).
 */

interface Dial {
    readonly command: string;
    readonly host: string;
}

function dialsOnCreate(evaluation: Evaluation, cloud: CommandCapturingCloud): Dial[] {
    return evaluation.resources
        .filter((resource) => resource.type === "command:remote:Command")
        .flatMap((resource) => {
            const inputs = cloud.commandInputs.get(resource.name);
            const host = (inputs?.connection as { host?: unknown } | undefined)?.host;
            return typeof inputs?.create === "string" && typeof host === "string" ? [{ command: resource.name, host }] : [];
        });
}

/** The VM behind each internal or external address, by the address its network interface takes. */
function vmByAddress(evaluation: Evaluation, cloud: CommandCapturingCloud): Map<string, string> {
    const byAddress = new Map<string, string>();
    for (const vm of evaluation.resources.filter((resource) => resource.type === "gcp:compute/instance:Instance")) {
        const nic = (vm.inputs.networkInterfaces as { networkIp?: string; accessConfigs?: { natIp?: string }[] }[])[0];
        if (nic.networkIp) byAddress.set(nic.networkIp, vm.name);
        for (const access of nic.accessConfigs ?? []) if (access.natIp) byAddress.set(access.natIp, vm.name);
    }
    assert.ok(byAddress.size > 0 && cloud.commandInputs.size > 0);
    return byAddress;
}

function waitsFor(evaluation: Evaluation, from: string, target: string): boolean {
    const byName = new Map(evaluation.resources.map((resource) => [resource.name, resource]));
    const seen = new Set<string>();
    const queue = [from];
    while (queue.length > 0) {
        const next = queue.shift() as string;
        if (next === target) return true;
        for (const dependency of byName.get(next)?.dependsOn ?? []) {
            if (!seen.has(dependency)) {
                seen.add(dependency);
                queue.push(dependency);
            }
        }
    }
    return false;
}

describe("remote commands dial only VMs they wait for (the command provider dials on create)", function () {
    this.timeout(300_000);

    const stacks: Record<string, string>[] = [{}, { controlPlaneCount: "3" }, { controlPlaneCount: "3", lokiNodeCount: "2", lokiReplicas: "2" }];
    for (const overrides of stacks) {
        it(`holds for ${JSON.stringify(overrides)}`, async () => {
            const cloud = new CommandCapturingCloud();
            const evaluation = await evaluateDev(overrides, cloud);
            const vms = vmByAddress(evaluation, cloud);
            const dials = dialsOnCreate(evaluation, cloud);
            assert.ok(dials.length >= 5, `${dials.length} commands run something on create`);
            const unknown = dials.filter((dial) => !vms.has(dial.host));
            assert.deepEqual(unknown, [], "every command dials a VM of this stack");
            const early = dials
                .filter((dial) => !waitsFor(evaluation, dial.command, vms.get(dial.host) as string))
                .map((dial) => `${dial.command} -> ${vms.get(dial.host)}`);
            assert.deepEqual(early, [], "a command would dial a VM that may not exist yet");
        });
    }
});
