import { EvaluationDiff, ResourceRef } from "./diff";
import { resourceKey } from "./evaluate";
import { RenderedResource } from "./evaluation";

/**
 * What a scale update (the scaler's targeted `pulumi up`, without --target-dependents) would
 * touch for a config change, checked on the program's graph: Pulumi refuses a targeted update
 * that deletes a target an untargeted resource depends on, and cannot create a target for an
 * untargeted resource that needs it, so nothing outside the targets may depend on them.
 */

/** How a targeted resource fares in the change. */
export type TargetStep = "create" | "delete" | "change" | "same";

export interface TargetedResource extends ResourceRef {
    readonly step: TargetStep;
}

/** A resource outside the targets that depends on targets (Pulumi's dependents: its dependencies and its parent). */
export interface OutsideDependent extends ResourceRef {
    /** The targets it depends on, by name. */
    readonly on: readonly string[];
}

export interface ScaleTargetReport {
    /** Every resource the target URNs match: creates in the after graph, deletes in the before graph. */
    readonly targets: readonly TargetedResource[];
    /** Resources in either graph (the stack itself not counted). */
    readonly total: number;
    /** Must be empty: each would make the targeted update fail (or need --target-dependents). */
    readonly outsideDependents: readonly OutsideDependent[];
    /** Changes the diff finds outside the targets: what a scale update would not apply. */
    readonly missedChanges: readonly ResourceRef[];
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/** A `--target` pattern as Pulumi's engine reads it: `**` matches anything, `*` anything but ":", the rest literally. */
export function targetMatcher(pattern: string): RegExp {
    const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const body = pattern
        .split("**")
        .map((segment) => segment.split("*").map(quote).join("[^:]*"))
        .join(".*");
    return new RegExp(`^${body}$`);
}

/** Each resource's URN as Pulumi builds it (parents' types, then its own, joined by "$"), by name; the stack itself has none. */
export function resourceUrns(resources: readonly RenderedResource[], stack: string, project: string): Map<string, string> {
    const byName = new Map(resources.map((resource) => [resource.name, resource]));
    const typeChains = new Map<string, string>();
    const typeChain = (resource: RenderedResource): string => {
        const known = typeChains.get(resource.name);
        if (known !== undefined) return known;
        const parent = resource.parent === undefined ? undefined : byName.get(resource.parent);
        const chain = parent && parent.type !== STACK_TYPE ? `${typeChain(parent)}$${resource.type}` : resource.type;
        typeChains.set(resource.name, chain);
        return chain;
    };
    return new Map(
        resources
            .filter((resource) => resource.type !== STACK_TYPE)
            .map((resource) => [resource.name, `urn:pulumi:${stack}::${project}::${typeChain(resource)}::${resource.name}`]),
    );
}

/** Names of the resources in `resources` that the patterns match. */
export function matchTargets(resources: readonly RenderedResource[], patterns: readonly string[], stack: string, project: string): Set<string> {
    const matchers = patterns.map(targetMatcher);
    const urns = resourceUrns(resources, stack, project);
    return new Set([...urns].filter(([, urn]) => matchers.some((matcher) => matcher.test(urn))).map(([name]) => name));
}

/** Resources outside `targets` that depend on one inside: through their dependencies or as a child. */
export function dependentsOutside(resources: readonly RenderedResource[], targets: ReadonlySet<string>): OutsideDependent[] {
    return resources
        .filter((resource) => !targets.has(resource.name))
        .map((resource) => ({
            resource,
            on: [...resource.dependsOn, ...(resource.parent === undefined ? [] : [resource.parent])].filter((name) => targets.has(name)),
        }))
        .filter(({ on }) => on.length > 0)
        .map(({ resource, on }) => ({ type: resource.type, name: resource.name, on: [...new Set(on)].sort() }));
}

export interface ScaleTargetInput {
    readonly before: readonly RenderedResource[];
    readonly after: readonly RenderedResource[];
    readonly diff: EvaluationDiff;
    /** The scaler's --target patterns (scaleTargets()). */
    readonly patterns: readonly string[];
    readonly stack: string;
    readonly project: string;
}

/** The scale update's target set for a change, what outside it depends on it, and what the change does outside it. */
export function scaleTargetReport(input: ScaleTargetInput): ScaleTargetReport {
    const inBefore = matchTargets(input.before, input.patterns, input.stack, input.project);
    const inAfter = matchTargets(input.after, input.patterns, input.stack, input.project);
    const steps = new Map<string, TargetStep>([
        ...input.diff.created.map((ref) => [resourceKey(ref), "create"] as const),
        ...input.diff.deleted.map((ref) => [resourceKey(ref), "delete"] as const),
        ...input.diff.changed.map((ref) => [resourceKey(ref), "change"] as const),
    ]);
    const everything = new Map(
        [...input.before, ...input.after].filter((resource) => resource.type !== STACK_TYPE).map((resource) => [resourceKey(resource), resource]),
    );
    const targets = [...everything.values()]
        .filter((resource) => inBefore.has(resource.name) || inAfter.has(resource.name))
        .map((resource): TargetedResource => ({ type: resource.type, name: resource.name, step: steps.get(resourceKey(resource)) ?? "same" }));
    // Checked in both graphs: a delete is refused if the before graph has a dependent, a create if the after graph has one.
    const dependents = new Map<string, OutsideDependent>();
    for (const [resources, matched] of [
        [input.before, inBefore],
        [input.after, inAfter],
    ] as const) {
        for (const dependent of dependentsOutside(resources, matched)) {
            const seen = dependents.get(resourceKey(dependent));
            dependents.set(resourceKey(dependent), seen ? { ...dependent, on: [...new Set([...seen.on, ...dependent.on])].sort() } : dependent);
        }
    }
    const targetKeys = new Set(targets.map(resourceKey));
    const missedChanges = [...input.diff.created, ...input.diff.deleted, ...input.diff.changed]
        .filter((ref) => !targetKeys.has(resourceKey(ref)))
        .map((ref) => ({ type: ref.type, name: ref.name }));
    return { targets, total: everything.size, outsideDependents: [...dependents.values()], missedChanges };
}

const STEP_MARK: Record<Exclude<TargetStep, "same">, string> = { create: "+", delete: "-", change: "~" };

export function formatScaleTargets(report: ScaleTargetReport): string {
    const count = (step: TargetStep) => report.targets.filter((target) => target.step === step).length;
    const unchanged = report.targets.filter((target) => target.step === "same").map((target) => target.name);
    const lines = [
        `scale update targets: ${report.targets.length} of ${report.total} resources (${count("create")} to create, ${count("delete")} to delete, ${count("change")} to change, ${unchanged.length} unchanged)`,
        ...report.targets.flatMap((target) => (target.step === "same" ? [] : [`  ${STEP_MARK[target.step]} ${target.name} (${target.type})`])),
        ...(unchanged.length > 0 ? [`  = ${unchanged.join(", ")}`] : []),
        `dependents outside the targets: ${report.outsideDependents.length === 0 ? "none" : report.outsideDependents.length}`,
        ...report.outsideDependents.map((dependent) => `  ! ${dependent.name} (${dependent.type}) depends on ${dependent.on.join(", ")}`),
        `changes outside the targets (a scale update would not make them): ${report.missedChanges.length === 0 ? "none" : report.missedChanges.length}`,
        ...report.missedChanges.map((ref) => `  ! ${ref.name} (${ref.type})`),
    ];
    return lines.join("\n");
}
