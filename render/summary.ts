import { RenderedResource } from "./evaluation";

/** Resource counts per top-level component (the stack's direct children) and per type. */
export function summarize(resources: readonly RenderedResource[]): Map<string, Map<string, number>> {
    const byName = new Map(resources.map((resource) => [resource.name, resource]));
    const root = resources.find((resource) => resource.parent === undefined)?.name;
    const topLevel = (resource: RenderedResource): string => {
        let current = resource;
        while (current.parent !== undefined && current.parent !== root) {
            const parent = byName.get(current.parent);
            if (!parent) break;
            current = parent;
        }
        return current.name;
    };
    const counts = new Map<string, Map<string, number>>();
    for (const resource of resources) {
        if (resource.parent === undefined) continue;
        const group = counts.get(topLevel(resource)) ?? new Map<string, number>();
        group.set(resource.type, (group.get(resource.type) ?? 0) + 1);
        counts.set(topLevel(resource), group);
    }
    return counts;
}

export function formatSummary(resources: readonly RenderedResource[]): string {
    const counts = summarize(resources);
    const total = [...counts.values()].reduce((sum, group) => sum + [...group.values()].reduce((a, b) => a + b, 0), 0);
    const lines = [`${total} resources`];
    for (const [component, group] of counts) {
        const size = [...group.values()].reduce((a, b) => a + b, 0);
        lines.push(`  ${component.padEnd(16)} ${String(size).padStart(4)}`);
        for (const [type, count] of [...group].sort(([a], [b]) => a.localeCompare(b))) {
            lines.push(`      ${String(count).padStart(4)}  ${type}`);
        }
    }
    return lines.join("\n");
}
