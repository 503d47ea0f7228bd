import { z } from "zod";
import { imageProblem } from "./fields";
import { jsonObject } from "./json-fields";

/**
 * The Cluster Autoscaler and our scaler in the cluster. One structured stack config key,
 * `autoscaler` (`pulumi config set --path autoscaler.<field> <value>`); off unless `enabled`.
 * The scaler runs `pulumi up` from inside the cluster, so it needs what a person running it
 * needs: the program (its image), the state backend and the stack's secrets provider. Both
 * are on Google Cloud and reached with the cluster's own identity (Workload Identity
 * Federation): no key file and no passphrase exist anywhere.
 */
export interface AutoscalerConfig {
    /** The scaler's image: this program, the Pulumi CLI and the scaler (Dockerfile). */
    readonly scalerImage: string;
    /** The Pulumi state backend, a GCS bucket (`gs://bucket[/prefix]`). */
    readonly stateBackend: { readonly url: string; readonly bucket: string };
    /** The stack's secrets provider, a Cloud KMS key (`gcpkms://projects/…/cryptoKeys/…`). */
    readonly secretsProvider: { readonly url: string; readonly kmsKey: string };
    /** How long a node must be unneeded before the autoscaler removes it (its duration, e.g. "10m"). */
    readonly scaleDownUnneededTime: string;
    /**
     * The longest a scale update (a targeted `pulumi up` of the pool: VM, node preparation, join)
     * is expected to take. A node asked for during one update waits for it and its own, so the
     * scaler tells the autoscaler twice this (plus a minute), or more once updates measure longer,
     * as the group's max node provision time. @default 8
     */
    readonly scaleUpdateMinutes: number;
}

/** Without a configured expectation (the autoscaler off, `npm run scale`): a scale update's usual length. */
export const DEFAULT_SCALE_UPDATE_MINUTES = 8;

/**
 * The newest cluster-autoscaler release per Kubernetes minor (kubernetes/autoscaler tags,
 * checked 2026-11). The autoscaler simulates the scheduler of its own minor, so the two must match.
 */
export const CLUSTER_AUTOSCALER_RELEASES: Readonly<Record<number, string>> = {
    31: "v1.31.5",
    32: "v1.32.7",
    33: "v1.33.6",
    34: "v1.34.5",
    35: "v1.35.2",
    36: "v1.36.1",
};

/** The problem with enabling the autoscaler on this Kubernetes minor, if any. */
export function autoscalerReleaseProblem(kubernetesMinor: number): string | undefined {
    if (CLUSTER_AUTOSCALER_RELEASES[kubernetesMinor] !== undefined) return undefined;
    const pinned = Object.keys(CLUSTER_AUTOSCALER_RELEASES).map((minor) => `1.${minor}`);
    return `autoscaler.enabled needs a cluster-autoscaler release for Kubernetes 1.${kubernetesMinor}; releases are pinned for ${pinned.join(", ")}`;
}

// The prefix is a path of plain segments: the URL becomes the scaler's PULUMI_BACKEND_URL, and
// Kubernetes expands $(VAR) in a container's env values, command and args.
const STATE_BACKEND = /^gs:\/\/([^/\s]+)(\/[A-Za-z0-9._-]+)*\/?$/;
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const KMS_PROVIDER = /^gcpkms:\/\/(projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/locations\/[a-z0-9-]+\/keyRings\/[\w-]{1,63}\/cryptoKeys\/[\w-]{1,63})$/;
const REQUIRED = ["scalerImage", "stateBackend", "secretsProvider"] as const;

const autoscalerFields = z
    .object({
        enabled: z.boolean({ error: "must be true or false" }).optional(),
        scalerImage: z
            .string({ error: "must be an image reference" })
            .superRefine((image, ctx) => {
                const problem = imageProblem(image);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .optional(),
        stateBackend: z
            .string({ error: "must be a gs:// URL" })
            .regex(
                STATE_BACKEND,
                "must be a gs://<bucket>[/<prefix>] URL, the prefix of letters, digits, . _ - and / only (the scaler reaches GCS with the cluster's federated identity)",
            )
            .refine(
                (url) => BUCKET.test(STATE_BACKEND.exec(url)?.[1] ?? ""),
                "must name a valid bucket: 3-63 lowercase letters, digits, dots, hyphens or underscores",
            )
            .refine(
                (url) =>
                    !url
                        .split("/")
                        .slice(3)
                        .some((segment) => segment === "." || segment === ".."),
                "must not have . or .. in its prefix (the state would land outside the prefix named)",
            )
            .optional(),
        secretsProvider: z
            .string({ error: "must be a gcpkms:// URL" })
            .regex(
                KMS_PROVIDER,
                "must be gcpkms://projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key> (a passphrase would be a secret to ship)",
            )
            .optional(),
        scaleDownUnneededTime: z
            .string({ error: "must be a duration" })
            .regex(/^([1-9]\d*(s|m|h))+$/, 'must be a duration such as "10m" or "1h30m"')
            .optional(),
        scaleUpdateMinutes: z
            .number({ error: "must be a number of minutes" })
            .int("must be a whole number of minutes")
            .min(2, "must be at least 2 (a VM, its preparation and a join take that)")
            .max(60, "must be at most 60 (a node's provision budget is twice this; the autoscaler would wait hours for a failed one)")
            .optional(),
    })
    .strict();

/** The `autoscaler` decoder: undefined when not enabled; when enabled, the three places it needs are required. */
export const autoscaler = jsonObject(
    "autoscaler",
    autoscalerFields,
    '{"enabled": true, "scalerImage": "<registry>/boutique-scaler:1.0.0", "stateBackend": "gs://<bucket>", "secretsProvider": "gcpkms://…"}',
).transform((fields, ctx): AutoscalerConfig | undefined => {
    const { scalerImage, stateBackend, secretsProvider } = fields;
    if (!fields.enabled) {
        const set = Object.keys(fields).filter((field) => field !== "enabled");
        if (set.length > 0) ctx.addIssue({ code: "custom", message: `autoscaler.${set[0]} is set but autoscaler.enabled is not true` });
        return undefined;
    }
    if (scalerImage === undefined || stateBackend === undefined || secretsProvider === undefined) {
        for (const field of REQUIRED.filter((name) => fields[name] === undefined))
            ctx.addIssue({ code: "custom", message: `autoscaler.${field} must be set when autoscaler.enabled is true` });
        return z.NEVER;
    }
    return {
        scalerImage,
        stateBackend: { url: stateBackend, bucket: STATE_BACKEND.exec(stateBackend)?.[1] ?? "" },
        secretsProvider: { url: secretsProvider, kmsKey: KMS_PROVIDER.exec(secretsProvider)?.[1] ?? "" },
        scaleDownUnneededTime: fields.scaleDownUnneededTime ?? "10m",
        scaleUpdateMinutes: fields.scaleUpdateMinutes ?? DEFAULT_SCALE_UPDATE_MINUTES,
    };
});
