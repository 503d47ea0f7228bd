import { resourceKey } from "./evaluate";
import { Evaluation } from "./evaluation";
import { RenderedResource } from "./evaluation";
import { isRecord } from "../config/records";

export interface ResourceRef {
    readonly type: string;
    readonly name: string;
}

export interface ChangedResource extends ResourceRef {
    /** Input paths whose values differ, e.g. "stdin" or "networkInterfaces[0].networkIp". */
    readonly paths: readonly string[];
}

/** A resource the change no longer declares. */
export interface RemovedResource extends ResourceRef {
    /** retainOnDelete: Pulumi forgets it and leaves it running (released), instead of deleting it. */
    readonly retained?: true;
}

/** What applying a config change would do, resource by resource (as `pulumi preview --diff` groups it). */
export interface EvaluationDiff {
    readonly created: readonly ResourceRef[];
    /** No longer declared: deleted, or released when retained. */
    readonly deleted: readonly RemovedResource[];
    readonly changed: readonly ChangedResource[];
}

/** Paths at which two JSON values differ (deepest differing path; a type change reports the path itself). */
export function changedPaths(before: unknown, after: unknown, at = ""): string[] {
    if (Array.isArray(before) && Array.isArray(after)) {
        const length = Math.max(before.length, after.length);
        return Array.from({ length }, (_, i) => changedPaths(before[i], after[i], `${at}[${i}]`)).flat();
    }
    if (isRecord(before) && isRecord(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((key) => changedPaths(before[key], after[key], at ? `${at}.${key}` : key));
    }
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [at || "(value)"];
}

const ref = (resource: RenderedResource): ResourceRef => ({ type: resource.type, name: resource.name });

export function diffEvaluations(before: Evaluation, after: Evaluation): EvaluationDiff {
    const was = new Map(before.resources.map((resource) => [resourceKey(resource), resource]));
    const now = new Map(after.resources.map((resource) => [resourceKey(resource), resource]));
    const changed: ChangedResource[] = [];
    for (const [key, resource] of now) {
        const previous = was.get(key);
        if (!previous) continue;
        const paths = changedPaths(before.comparableInputs.get(key), after.comparableInputs.get(key));
        if (previous.parent !== resource.parent) paths.unshift("(parent)");
        if (paths.length > 0) changed.push({ ...ref(resource), paths });
    }
    return {
        created: after.resources.filter((resource) => !was.has(resourceKey(resource))).map(ref),
        deleted: before.resources
            .filter((resource) => !now.has(resourceKey(resource)))
            .map((resource) => ({ ...ref(resource), ...(before.deleteLinks?.get(resource.name)?.retained ? { retained: true as const } : {}) })),
        changed,
    };
}

export function formatDiff(diff: EvaluationDiff): string {
    const deleted = diff.deleted.filter((r) => !r.retained);
    const released = diff.deleted.filter((r) => r.retained);
    const lines = [
        `${diff.created.length} to create, ${deleted.length} to delete, ${released.length} to release, ${diff.changed.length} to change`,
        ...diff.created.map((r) => `  + ${r.name} (${r.type})`),
        ...deleted.map((r) => `  - ${r.name} (${r.type})`),
        ...released.map((r) => `  ↷ ${r.name} (${r.type}): released, left running (retainOnDelete; what it manages too)`),
        ...diff.changed.map((r) => `  ~ ${r.name} (${r.type}): ${r.paths.join(", ")}`),
    ];
    return lines.join("\n");
}
