import { z } from "zod";
import { KubernetesRelease, OLDEST_KUBERNETES_MINOR } from "./kubernetes-release";
import { isIpv4Network, Ipv4Network, parseIpv4Cidr } from "./cidr";

/**
 * Decoders for single config values. Pulumi hands every value to the program as text (lists as
 * JSON), so each decoder starts from a string and ends at the typed value, with a message that
 * says what is allowed. A decoder never normalises: the value it accepts is the value every
 * reader gets, including the ones that read the raw config themselves (the gcp provider reads
 * gcp:project; a trimmed check of "my-project\n" would pass a value the provider then rejects).
 */

/** The longest value any key takes: far above every real one, far below what slows a pattern or a JSON parse. */
export const MAX_VALUE_LENGTH = 65_536;

// C0 and C1 controls, DEL, and the Unicode format/separator characters that reorder or hide text
// (bidirectional overrides, zero-width characters, line and paragraph separators).
// eslint-disable-next-line no-control-regex -- matching control characters is the point: values containing them are refused
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

/** Why a piece of text cannot be a config value or a string inside one, or undefined. */
export function textProblem(value: string): string | undefined {
    if (value.length > MAX_VALUE_LENGTH) return `must be at most ${MAX_VALUE_LENGTH} characters (has ${value.length})`;
    if (INVISIBLE.test(value)) return "must not contain control or invisible characters (newlines, tabs, NUL, bidirectional or zero-width marks)";
    return undefined;
}

/** Any value's text, bounded in size; JSON values (lists, objects) start here. */
export const rawText = z
    .string({ error: (issue) => (issue.input === undefined ? "is not set" : "must be text") })
    .max(MAX_VALUE_LENGTH, { message: `must be at most ${MAX_VALUE_LENGTH} characters`, abort: true });

/** A scalar value: bounded, printable, with nothing around it that a check could trim and a reader could not. */
export const text = rawText.superRefine((value, ctx) => {
    const problem = value !== value.trim() ? "must not start or end with whitespace (a trailing newline is the usual paste mistake)" : textProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, abort: true });
});

export function matching(pattern: RegExp, allowed: string) {
    return text.regex(pattern, `must be ${allowed}`);
}

export const gcpProjectId = matching(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a Google Cloud project ID (6-30 lowercase letters, digits or hyphens)");

export const gcpRegion = matching(/^[a-z]+-[a-z]+[0-9]+$/, "a Google Cloud region such as europe-west1");

/** registry[:port]/path[:tag | @sha256:digest]: a pinned image reference (a tag or a digest is required). */
export const IMAGE_REFERENCE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;

/**
 * Why `image` floats, or undefined when it is pinned: a digest, or a tag other than `latest`.
 * Judges any reference a pod may carry (a chart's tag@digest included), not its shape.
 */
export function imagePinProblem(image: string): string | undefined {
    if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
    // The tag follows the last ":" after the last "/" (a registry's port comes before a "/").
    const tag = /:([\w][\w.-]{0,127})$/.exec(image.slice(image.lastIndexOf("/") + 1))?.[1];
    if (tag === undefined) return "has no tag or digest (it means latest)";
    if (tag === "latest") return "is tagged latest";
    return undefined;
}

/** Why `image` is not a pinned image reference, or undefined: a tag or digest is required, and `latest` pins nothing. */
export function imageProblem(image: string): string | undefined {
    if (image.length > 512 || !IMAGE_REFERENCE.test(image))
        return "must be an image reference with a tag or digest, e.g. europe-west1-docker.pkg.dev/<project>/platform/app:1.0.0";
    if (imagePinProblem(image)) return "must pin a tag or digest, not latest (a restarted or added pod must run the same image)";
    return undefined;
}

export const machineType = matching(/^[a-z][a-z0-9]*-[a-z0-9-]{1,60}$/, "a Compute Engine machine type such as e2-standard-4");

/** A whole number from `min` to `max`, both finite: every consumer (Kubernetes int32 fields, shell arithmetic) takes it. */
export function wholeNumberIn(min: number, max: number) {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) throw new RangeError(`wholeNumberIn(${min}, ${max}): bounds must be safe integers`);
    const allowed = `a whole number from ${min} to ${max}`;
    return (
        text
            // Canonical decimal only: no sign on zero, no leading zeros, no exponent or hex.
            .regex(/^(0|-?[1-9]\d{0,15})$/, `must be ${allowed}`)
            .transform(Number)
            .pipe(z.number().min(min, `must be ${allowed}`).max(max, `must be ${allowed}`))
    );
}

export const cidr = text.transform((value, ctx): Ipv4Network => {
    const parsed = parseIpv4Cidr(value);
    if (!isIpv4Network(parsed)) {
        ctx.addIssue({ code: "custom", message: `${parsed.error}; must be an IPv4 network such as 10.10.0.0/24` });
        return z.NEVER;
    }
    return parsed;
});

/** The release the messages suggest (Pulumi.yaml's default). */
const EXAMPLE_RELEASE = "1.32.4";

/**
 * The cluster's one Kubernetes release, exact to the patch: every node installs and holds exactly
 * this kubelet/kubeadm/kubectl, so a node added months later matches the API server. Minor and
 * patch have at most three digits and no leading zero: the text is the release's own name.
 */
export const kubernetesVersion = text.transform((value, ctx): KubernetesRelease => {
    const match = /^v?1\.(0|[1-9]\d{0,2})(?:\.(0|[1-9]\d{0,2}))?$/.exec(value);
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
export const flag = text.refine((value) => value === "true" || value === "false", "must be true or false").transform((value) => value === "true");

/** One of a closed set of words. */
export function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
    return text
        .refine((value): value is T[number] => (choices as readonly string[]).includes(value), `must be one of ${choices.join(", ")}`)
        .transform((value) => value);
}
