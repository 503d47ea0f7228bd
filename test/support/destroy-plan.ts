import { DeleteLinks } from "../../render/evaluation";
import { Evaluation } from "../../render/evaluation";
import { RenderedResource } from "../../render/evaluation";

/**
 * `pulumi destroy` on the rendered graph, as the engine schedules it: a resource is deleted only
 * after every resource that depends on it (its dependencies, its parent, its provider, its
 * `deletedWith`); everything else runs in parallel. A resource whose `deletedWith` target is in the
 * graph has no delete step (skipped). A remote component (a ConfigGroup, a v4 Chart) is one step:
 * the engine counts a dependency on it as one on its children (pulumi/pulumi#7780).
 */

const STACK_TYPE = "pulumi:pulumi:Stack";

/** Why a delete step needs something: the role it plays for the step. */
export const ROLES = {
    "network-allow-admin": "the runner's SSH and API traffic to HAProxy",
    "network-allow-cluster-egress-admin": "the in-cluster runner's SSH and API traffic to HAProxy",
    "network-allow-ssh-from-bastion": "HAProxy's SSH to the nodes",
    "network-allow-api-server": "HAProxy's API traffic to the control planes",
    "network-allow-api-endpoint": "a node's kubectl through HAProxy",
    "haproxy-vm": "the bastion and API entry point",
    "haproxy-api-config": "HAProxy's API frontend",
    "cluster-init": "the cluster",
    "control-plane-kubernetes": "the Kubernetes provider",
    "storage-gce-pd": "the PD CSI driver and StorageClass",
    "storage-volumes-released": "the release of the claims' disks",
} as const satisfies Record<string, string>;

export interface Need {
    readonly name: string;
    readonly role: string;
    /** "present": must still exist while the step runs; "done": must have run (been deleted) before it. */
    readonly when: "present" | "done";
}

export interface DeleteStep {
    readonly name: string;
    readonly type: string;
    /** What kind of delete the NEEDS table found (undefined: nothing to dial, nothing to ask). */
    readonly kind?: string;
    readonly needs: readonly Need[];
}

export interface DestroyPlan {
    /** Every resource that has a delete step (the stack and deletedWith skips excluded). */
    readonly steps: readonly DeleteStep[];
    readonly skipped: readonly string[];
    /** Left in the cloud, dropped from the state (retainOnDelete): a step that asks nothing of the cloud. */
    readonly kept: readonly string[];
    /** Waves of parallel deletes: wave 0 first. */
    readonly waves: readonly (readonly string[])[];
    readonly violations: readonly string[];
}

/** Claims on the default StorageClass: kube-prometheus-stack (Prometheus, Alertmanager, Grafana), Loki, Tempo. */
const PVC_RELEASES = ["kube-prometheus-stack", "loki", "tempo"];

const need = (name: string, when: Need["when"] = "present"): Need => ({ name, role: (ROLES as Record<string, string>)[name] ?? name, when });

/** The VM a remote command's delete dials (through the bastion), from the program's naming of its commands. */
export function dialledVm(command: string): string {
    const membership = /^cp-(\d+)-membership$/.exec(command);
    if (membership) return membership[1] === "0" ? "cp-1-vm" : "cp-0-vm";
    if (/^worker-\d+-membership$/.test(command) || command === "storage-volumes-released") return "cp-0-vm";
    const node = /^(cp|worker|loki)-(\d+)-/.exec(command);
    if (node) return `${node[1]}-${node[2]}-vm`;
    throw new Error(`no rule says which VM ${command}'s delete step dials: add it to dialledVm`);
}

/** The NEEDS table: what each kind of delete step needs, by the resource's type and inputs. */
export function needsOf(resource: RenderedResource, links: DeleteLinks, all: ReadonlySet<string>): { kind?: string; needs: Need[] } {
    const controlPlanes = [...all].filter((name) => /^cp-\d+-vm$/.test(name)).map((name) => need(name));
    const runnerRules = ["network-allow-admin", "network-allow-cluster-egress-admin"].filter((name) => all.has(name)).map((name) => need(name));
    const api = [...runnerRules, need("network-allow-api-server"), need("haproxy-vm"), need("haproxy-api-config"), need("cluster-init"), ...controlPlanes];
    if (resource.type === "command:remote:Command") {
        if (resource.inputs.delete === undefined) return { needs: [] };
        // Run on a control plane through the bastion; every delete script there uses kubectl through HAProxy.
        const ssh = [...runnerRules, need("network-allow-ssh-from-bastion"), need("haproxy-vm"), need(dialledVm(resource.name))];
        const storage = resource.name === "storage-volumes-released" ? [need("storage-gce-pd"), ...claimNamespaces(all)] : [];
        return { kind: "remote command (kubectl on a node)", needs: [...ssh, need("network-allow-api-endpoint"), ...api, ...storage] };
    }
    if (resource.type.startsWith("kubernetes:") && links.provider !== undefined) {
        const claims =
            PVC_RELEASES.includes(resource.name) && all.has("storage-gce-pd") ? [need("storage-gce-pd"), need("storage-volumes-released", "done")] : [];
        return { kind: claims.length > 0 ? "PVC-backed release" : "Kubernetes object", needs: [need(links.provider), ...api, ...claims] };
    }
    return { needs: [] };
}

function claimNamespaces(all: ReadonlySet<string>): Need[] {
    return ["monitoring-namespace", "logging-namespace", "tracing-namespace"].filter((name) => all.has(name)).map((name) => need(name));
}

/** Names each resource's delete must come before: its dependencies, parent, provider and deletedWith target. */
export function deletedAfter(resources: readonly RenderedResource[], links: ReadonlyMap<string, DeleteLinks>): Map<string, Set<string>> {
    const names = new Set(resources.filter((r) => r.type !== STACK_TYPE).map((r) => r.name));
    return new Map(
        resources
            .filter((r) => names.has(r.name))
            .map((r) => {
                const link = links.get(r.name) ?? {};
                const later = [...r.dependsOn, r.parent, link.provider, link.deletedWith].filter(
                    (name): name is string => name !== undefined && names.has(name),
                );
                return [r.name, new Set(later)];
            }),
    );
}

/** Plans the destroy of `resources` and checks every step's needs against the order. */
export function destroyPlan(resources: readonly RenderedResource[], links: ReadonlyMap<string, DeleteLinks>): DestroyPlan {
    const after = deletedAfter(resources, links);
    const all = new Set(after.keys());
    // later(x): everything deleted after x (transitively), memoized.
    const laterMemo = new Map<string, Set<string>>();
    const later = (name: string): Set<string> => {
        const known = laterMemo.get(name);
        if (known) return known;
        const result = new Set<string>();
        laterMemo.set(name, result);
        for (const next of after.get(name) ?? []) {
            result.add(next);
            for (const further of later(next)) result.add(further);
        }
        return result;
    };
    // The wave of a delete: one after the latest wave of the resources that must go before it.
    const dependents = new Map<string, string[]>([...all].map((name) => [name, []]));
    for (const [name, targets] of after) for (const target of targets) dependents.get(target)?.push(name);
    const waveMemo = new Map<string, number>();
    const wave = (name: string, seen: Set<string> = new Set()): number => {
        const known = waveMemo.get(name);
        if (known !== undefined) return known;
        if (seen.has(name)) throw new Error(`dependency cycle through ${name}`);
        seen.add(name);
        const result = Math.max(-1, ...(dependents.get(name) ?? []).map((d) => wave(d, seen))) + 1;
        waveMemo.set(name, result);
        return result;
    };
    const skipped = resources.filter((r) => all.has(r.name) && all.has(links.get(r.name)?.deletedWith ?? "")).map((r) => r.name);
    const steps: DeleteStep[] = [];
    const violations: string[] = [];
    for (const resource of resources) {
        if (!all.has(resource.name) || skipped.includes(resource.name)) continue;
        const { kind, needs } = needsOf(resource, links.get(resource.name) ?? {}, all);
        steps.push({ name: resource.name, type: resource.type, kind, needs });
        for (const needed of needs) {
            if (!all.has(needed.name)) {
                violations.push(`${resource.name} (${kind}) needs ${needed.name} (${needed.role}), which the graph lacks`);
            } else if (needed.when === "present" && !later(resource.name).has(needed.name)) {
                violations.push(`${resource.name} (${kind}) may run after ${needed.name} (${needed.role}) is deleted, or while it is`);
            } else if (needed.when === "done" && !later(needed.name).has(resource.name)) {
                violations.push(`${resource.name} (${kind}) may run before ${needed.name} (${needed.role}) has run`);
            }
        }
    }
    const waves: string[][] = [];
    for (const step of steps) (waves[wave(step.name)] ??= []).push(step.name);
    const kept = resources.filter((r) => links.get(r.name)?.retained === true).map((r) => r.name);
    return { steps, skipped, kept, waves: Array.from(waves, (names) => names ?? []), violations };
}

/** The plan of an evaluated program. */
export function destroyPlanOf(evaluation: Evaluation): DestroyPlan {
    if (!evaluation.deleteLinks) throw new Error("the evaluation did not record providers and deletedWith (render/evaluate.ts deleteLinks)");
    return destroyPlan(evaluation.resources, evaluation.deleteLinks);
}
