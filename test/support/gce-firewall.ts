import { isRecord } from "../../config/records";
import { RenderedResource } from "../../render/evaluation";
import { textOf } from "./text";

/**
 * The VPC's firewall as the program declares it (gcp:compute/firewall:Firewall inputs), and the
 * VMs it applies to (instances' tags and internal addresses): what GCE evaluates for traffic
 * between VMs, ingress rules by source tag and target tag, everything else denied.
 */

export interface FirewallRule {
    readonly name: string;
    readonly sourceTags: readonly string[];
    readonly sourceRanges: readonly string[];
    readonly targetTags: readonly string[];
    readonly allows: readonly { readonly protocol: string; readonly ports: readonly string[] }[];
}

export interface Instance {
    readonly name: string;
    readonly tags: readonly string[];
    readonly address: string;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

export function firewallRulesOf(resources: readonly RenderedResource[]): FirewallRule[] {
    return resources
        .filter((resource) => resource.type === "gcp:compute/firewall:Firewall" && (resource.inputs.direction ?? "INGRESS") === "INGRESS")
        .map((resource) => ({
            name: resource.name,
            sourceTags: strings(resource.inputs.sourceTags),
            sourceRanges: strings(resource.inputs.sourceRanges),
            targetTags: strings(resource.inputs.targetTags),
            allows: (Array.isArray(resource.inputs.allows) ? resource.inputs.allows : [])
                .filter(isRecord)
                .map((allow) => ({ protocol: String(allow.protocol), ports: strings(allow.ports) })),
        }));
}

export function instancesOf(resources: readonly RenderedResource[]): Instance[] {
    return resources
        .filter((resource) => resource.type === "gcp:compute/instance:Instance")
        .map((resource) => {
            const nic = Array.isArray(resource.inputs.networkInterfaces) ? resource.inputs.networkInterfaces.find(isRecord) : undefined;
            return { name: String(resource.inputs.name), tags: strings(resource.inputs.tags), address: textOf(nic?.networkIp ?? "") };
        });
}

function portMatches(ports: readonly string[], port: number): boolean {
    if (ports.length === 0) return true;
    return ports.some((entry) => {
        const [low, high] = entry.split("-").map(Number);
        return high === undefined ? low === port : low <= port && port <= high;
    });
}

/** Whether a rule admits `protocol`/`port` from a VM tagged `sourceTags` to one tagged `targetTags` (by tags: VMs talk on internal addresses). */
export function firewallAllows(
    rules: readonly FirewallRule[],
    sourceTags: readonly string[],
    targetTags: readonly string[],
    protocol: string,
    port: number,
): boolean {
    return rules.some(
        (rule) =>
            rule.sourceTags.some((tag) => sourceTags.includes(tag)) &&
            (rule.targetTags.length === 0 || rule.targetTags.some((tag) => targetTags.includes(tag))) &&
            rule.allows.some((allow) => (allow.protocol === protocol || allow.protocol === "all") && portMatches(allow.ports, port)),
    );
}
