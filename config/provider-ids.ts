/**
 * The kubelet provider id (gce://<project>/<zone>/<instance>) the Cluster Autoscaler matches
 * node-group instances by: the program registers nodes with it, the scaler reads it back.
 */

/** The three names a GCE provider id is made of, each with the pattern GCE allows. */
const GCE_NAME_PATTERNS = {
    project: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    zone: /^[a-z]+-[a-z]+[0-9]+-[a-z]$/,
    instance: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
} as const;

export interface GceInstanceRef {
    readonly project: string;
    readonly zone: string;
    readonly instance: string;
}

export function gceProviderId(project: string, zone: string, instance: string): string {
    const parts: GceInstanceRef = { project, zone, instance };
    for (const [what, pattern] of Object.entries(GCE_NAME_PATTERNS) as [keyof GceInstanceRef, RegExp][]) {
        if (!pattern.test(parts[what])) throw new Error(`gceProviderId: ${what} ${JSON.stringify(parts[what])} is not a valid GCE ${what} name`);
    }
    return `gce://${project}/${zone}/${instance}`;
}

/** gce://<project>/<zone>/<instance> back into its parts; undefined for anything else. */
export function parseGceProviderId(providerId: string): GceInstanceRef | undefined {
    const match = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(providerId);
    if (!match) return undefined;
    const parts: GceInstanceRef = { project: match[1], zone: match[2], instance: match[3] };
    return (Object.entries(GCE_NAME_PATTERNS) as [keyof GceInstanceRef, RegExp][]).every(([what, pattern]) => pattern.test(parts[what])) ? parts : undefined;
}
