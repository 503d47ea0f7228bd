import * as crypto from "crypto";
import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { ChangedResource, EvaluationDiff } from "../../render/diff";
import { Evaluation } from "../../render/evaluation";
import { RenderedResource } from "../../render/evaluation";
import { MockCloud, unwrapSecrets } from "../../render/mock-cloud";

/**
 * What a `render --diff` means for the VMs, read the way the engine and the Google provider
 * would: which VM changes are replacements, and what follows from a new VM's new id.
 */

const INSTANCE = "gcp:compute/instance:Instance";

/**
 * Instance inputs the Google provider cannot change in place (ForceNew in its google_compute_instance
 * schema): a change of any of them replaces the VM. Absent on purpose: machineType (with
 * allowStoppingForUpdate the provider stops the VM, changes it and starts it again) and the
 * `metadata` map, startup-script key included (set in place; only metadataStartupScript is ForceNew).
 */
export const INSTANCE_REPLACING_INPUTS = ["bootDisk.initializeParams", "name", "zone", "networkInterfaces", "metadataStartupScript"] as const;

const replacingPath = (path: string) =>
    INSTANCE_REPLACING_INPUTS.some((prefix) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`));

/**
 * A MockCloud in which a VM's instanceId follows the inputs that replace it, as GCE gives a new VM
 * a new id (the plain MockCloud derives it from the name alone, so a replacement would be invisible
 * to the commands that trigger on it).
 */
export class ReplacingCloud extends MockCloud {
    override newResource(args: MockResourceArgs): MockResourceResult {
        const result = super.newResource(args);
        if (args.type !== INSTANCE) return result;
        const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
        const identity = JSON.stringify([
            args.name,
            INSTANCE_REPLACING_INPUTS.map((path) =>
                path.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], inputs),
            ),
        ]);
        const instanceId = String(BigInt(`0x${crypto.createHash("sha256").update(identity).digest("hex").slice(0, 15)}`));
        return { ...result, state: { ...result.state, instanceId } };
    }
}

/** VMs whose change replaces them, by name. */
export function replacedVms(diff: EvaluationDiff): string[] {
    return diff.changed
        .filter((change) => change.type === INSTANCE && change.paths.some(replacingPath))
        .map((change) => change.name)
        .sort();
}

/** VMs changed in place (no replacing input changed), by name. */
export function updatedInPlaceVms(diff: EvaluationDiff): string[] {
    return diff.changed
        .filter((change) => change.type === INSTANCE && !change.paths.some(replacingPath))
        .map((change) => change.name)
        .sort();
}

export function changeOf(diff: EvaluationDiff, name: string): ChangedResource | undefined {
    return diff.changed.find((change) => change.name === name);
}

/** The shortest dependency path from `from` back to `to` (both included), through any resource; undefined if `from` does not wait for `to`. */
export function dependencyPath(evaluation: Evaluation, from: string, to: string): string[] | undefined {
    const byName = new Map<string, RenderedResource>(evaluation.resources.map((resource) => [resource.name, resource]));
    const cameFrom = new Map<string, string>([[from, from]]);
    const queue = [from];
    while (queue.length > 0) {
        const current = queue.shift() as string;
        if (current === to) {
            const path = [current];
            while (path[0] !== from) path.unshift(cameFrom.get(path[0]) as string);
            return path;
        }
        for (const dependency of byName.get(current)?.dependsOn ?? []) {
            if (cameFrom.has(dependency)) continue;
            cameFrom.set(dependency, current);
            queue.push(dependency);
        }
    }
    return undefined;
}

/** Whether `from` waits for `to`, directly or through other resources. */
export const waitsFor = (evaluation: Evaluation, from: string, to: string): boolean => dependencyPath(evaluation, from, to) !== undefined;
