import { z } from "zod";
import { KubernetesRelease, OLDEST_KUBERNETES_MINOR } from "../components/kubernetes-release";
import { isIpv4Network, Ipv4Network, parseIpv4Cidr } from "./cidr";

/**
 * Decoders for single config values. Pulumi hands every value to the program as text (lists as
 * JSON), so each decoder starts from a string and ends at the typed value, with a message that
 * says what is allowed.
 */

export const text = z.string({ error: (issue) => (issue.input === undefined ? "is not set" : "must be text") });

export function matching(pattern: RegExp, allowed: string) {
    return text.trim().regex(pattern, `must be ${allowed}`);
}

export const gcpProjectId = matching(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a Google Cloud project ID (6-30 lowercase letters, digits or hyphens)");

export const gcpRegion = matching(/^[a-z]+-[a-z]+[0-9]+$/, "a Google Cloud region such as europe-west1");

/** registry[:port]/path[:tag | @sha256:digest]: a pinned image reference (a tag or a digest is required). */
export const IMAGE_REFERENCE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;

export const machineType = matching(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, "a Compute Engine machine type such as e2-standard-4");

export const wholeNumber = text.trim().regex(/^-?\d+$/, "must be a whole number").transform(Number);

export function wholeNumberIn(min: number, max: number) {
    const allowed = max === Infinity ? `a whole number, ${min} or more` : `a whole number from ${min} to ${max}`;
    return text
        .trim()
        .regex(/^-?\d+$/, `must be ${allowed}`)
        .transform(Number)
        .pipe(z.number().min(min, `must be ${allowed}`).max(max, `must be ${allowed}`));
}

export const cidr = text.transform((value, ctx): Ipv4Network => {
    const parsed = parseIpv4Cidr(value.trim());
    if (!isIpv4Network(parsed)) {
        ctx.addIssue({ code: "custom", message: `${parsed.error}; must be an IPv4 network such as 10.10.0.0/24` });
        return z.NEVER;
    }
    return parsed;
});

/** A JSON list (how Pulumi passes `type: array` values), each item decoded by `item`. */
export function jsonList<T extends z.ZodType>(item: T, example: string) {
    return text
        .transform((value, ctx): unknown => {
            try {
                return JSON.parse(value);
            } catch {
                ctx.addIssue({ code: "custom", message: `must be a list, e.g. ${example}` });
                return z.NEVER;
            }
        })
        .pipe(z.array(item, { error: `must be a list, e.g. ${example}` }));
}

export const slotNumber = z.number({ error: "must list whole numbers" }).int("must list whole numbers").min(0, "must list slot numbers that are 0 or more");

export const cidrItem = z.string({ error: "must list CIDRs as text" }).transform((value, ctx): Ipv4Network => {
    const parsed = parseIpv4Cidr(value.trim());
    if (!isIpv4Network(parsed)) {
        ctx.addIssue({ code: "custom", message: `has "${value}", which ${parsed.error}` });
        return z.NEVER;
    }
    return parsed;
});

/** The release the messages suggest (Pulumi.yaml's default). */
const EXAMPLE_RELEASE = "1.32.4";

/**
 * The cluster's one Kubernetes release, exact to the patch: every node installs and holds exactly
 * this kubelet/kubeadm/kubectl, so a node added months later matches the API server.
 */
export const kubernetesVersion = text.transform((value, ctx): KubernetesRelease => {
    const match = /^v?1\.(\d+)(?:\.(\d+))?$/.exec(value.trim());
    const minor = match ? Number(match[1]) : NaN;
    if (!match || minor < OLDEST_KUBERNETES_MINOR) {
        ctx.addIssue({
            code: "custom",
            message: `must be an exact Kubernetes release, 1.${OLDEST_KUBERNETES_MINOR}.0 or newer, as "1.MINOR.PATCH" such as "${EXAMPLE_RELEASE}" (kubeadm v1beta4 configs need 1.${OLDEST_KUBERNETES_MINOR}+)`,
        });
        return z.NEVER;
    }
    if (match[2] === undefined) {
        ctx.addIssue({
            code: "custom",
            message: `must name an exact patch release such as "${EXAMPLE_RELEASE}", not a minor alone: "1.${minor}" would install whichever 1.${minor} patch is newest on the day each VM boots, and nodes added later would run a newer kubelet than the API server`,
        });
        return z.NEVER;
    }
    return { minor, patch: Number(match[2]) };
});

/** Pulumi passes booleans as "true"/"false". */
export const flag = text
    .trim()
    .refine((value) => value === "true" || value === "false", "must be true or false")
    .transform((value) => value === "true");

/** One of a closed set of words. */
export function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
    return text
        .trim()
        .refine((value): value is T[number] => (choices as readonly string[]).includes(value), `must be one of ${choices.join(", ")}`)
        .transform((value) => value as T[number]);
}

/** Where a zod issue sits inside an object, as the user names it: "stepWeights[2]", "metrics.sli". */
export function fieldPath(path: readonly PropertyKey[]): string {
    return path.map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`)).join("");
}

/**
 * A structured key (Pulumi hands objects over as JSON): absent or empty decodes as {}; every
 * issue names the field as the user writes it, `<key>.<field> <message>`.
 */
export function jsonObject<T extends z.ZodType<object>>(key: string, fields: T, example: string) {
    return text.optional().transform((value, ctx): z.output<T> => {
        let raw: unknown = {};
        if (value !== undefined && value.trim() !== "") {
            try {
                raw = JSON.parse(value);
            } catch {
                ctx.addIssue({ code: "custom", message: `must be an object, e.g. ${example}` });
                return z.NEVER;
            }
        }
        const parsed = fields.safeParse(raw);
        if (parsed.success) return parsed.data;
        for (const issue of parsed.error.issues) {
            const where = issue.path.length > 0 ? `${key}.${fieldPath(issue.path)} ` : `${key} `;
            const message =
                issue.code === "unrecognized_keys" ? `has unknown field(s) ${issue.keys.join(", ")}` : issue.code === "invalid_type" && issue.path.length === 0 ? "must be an object" : issue.message;
            ctx.addIssue({ code: "custom", message: `${where}${message}` });
        }
        return z.NEVER;
    });
}
