import { z } from "zod";
import { jsonObject } from "./json-fields";

/**
 * How the frontend is released (Flagger). One structured stack config key, `delivery`, set with
 * `pulumi config set --path delivery.<field> <value>`; every field is optional and defaults to
 * the seed's canary. Pulumi.yaml cannot declare it: project config types are string, integer,
 * boolean and array only, so it is documented in docs/delivery.md and validated here.
 */

export const DELIVERY_STRATEGIES = ["canary", "ab", "bluegreen"] as const;
export type DeliveryStrategy = (typeof DELIVERY_STRATEGIES)[number];

export const ALERT_PROVIDERS = ["slack", "msteams", "discord", "rocket"] as const;
export type AlertProviderType = (typeof ALERT_PROVIDERS)[number];

/** One A/B rule: a request header (exact, prefix or regex) or a cookie (regex). */
export type TrafficMatch =
    { readonly header: string; readonly exact?: string; readonly prefix?: string; readonly regex?: string } | { readonly cookie: string };

export interface DeliveryConfig {
    readonly strategy: DeliveryStrategy;
    /** Time between analysis steps, Flagger's duration (e.g. "30s", "1m"). */
    readonly interval: string;
    /** Failed checks before rollback. */
    readonly threshold: number;
    readonly progressDeadlineSeconds: number;
    /** canary: weights. */
    readonly maxWeight: number;
    readonly stepWeight: number;
    /** canary: a gradual multi-stage list instead of fixed steps (e.g. [1, 2, 5, 10, 25]). */
    readonly stepWeights?: readonly number[];
    /** ab and bluegreen: number of analysis runs. */
    readonly iterations: number;
    /** ab: who gets the new version. */
    readonly match: readonly TrafficMatch[];
    /** Mirror live traffic to the canary (canary: a share of it, mirrorWeight %; bluegreen: all of it). */
    readonly mirror: boolean;
    readonly mirrorWeight?: number;
    readonly metrics: {
        /** Built-in request-success-rate: minimum % of non-5xx. */
        readonly minSuccessRate: number;
        /** Built-in request-duration: maximum P99 in ms. */
        readonly maxLatencyMs: number;
        /** Add the SLI MetricTemplates (5xx ratio, P99 latency) as further checks. */
        readonly sli: boolean;
        /** SLI budget: maximum % of 5xx. */
        readonly maxErrorRatePercent: number;
    };
    readonly webhooks: {
        /** pre-rollout: a smoke test of the canary through the loadtester. */
        readonly smokeTest: boolean;
        /** rollout: load through the loadtester during the analysis (no load = no metrics). */
        readonly load: boolean;
        /** post-rollout: the main user journeys (home, product, cart, checkout) on the promoted version. */
        readonly userJourneys: boolean;
        /** confirm-promotion: a manual gate (open it through the loadtester's /gate/approve). */
        readonly manualPromotion: boolean;
    };
    /** Canary events to a chat webhook; its URL comes from the secret key deliveryAlertWebhookUrl. */
    readonly alerting?: { readonly provider: AlertProviderType; readonly channel?: string; readonly severity: "info" | "warn" | "error" };
}

/** The delivery config with the alert webhook's URL (plain here: components wrap it as a Pulumi secret). */
export interface DeliverySettings extends DeliveryConfig {
    readonly alertWebhookUrl?: string;
}

/** The seed's canary (../shared/reference/delivery.md): the default, field by field. */
export const SEED_DELIVERY: DeliveryConfig = {
    strategy: "canary",
    interval: "30s",
    threshold: 10,
    progressDeadlineSeconds: 60,
    maxWeight: 25,
    stepWeight: 2,
    iterations: 10,
    match: [],
    mirror: false,
    metrics: { minSuccessRate: 99, maxLatencyMs: 500, sli: true, maxErrorRatePercent: 1 },
    webhooks: { smokeTest: true, load: true, userJourneys: true, manualPromotion: false },
};

const percent = (what: string) =>
    z
        .number({ error: `must be a number (${what})` })
        .int("must be a whole number")
        .min(1, "must be from 1 to 100")
        .max(100, "must be from 1 to 100");
/** A whole number from 1 to `max`: Flagger's fields are int32, and each bound is far above a sane value. */
const upTo = (max: number) =>
    z.number({ error: "must be a number" }).int("must be a whole number").min(1, `must be from 1 to ${max}`).max(max, `must be from 1 to ${max}`);
/** A match value or a channel name: short, and ending up in a VirtualService or an alert provider. */
const shortText = (what: string) => z.string({ error: `must be text (${what})` }).max(256, `must be at most 256 characters (${what})`);
const duration = z.string({ error: 'must be a duration such as "30s" or "1m"' }).regex(/^[1-9][0-9]*(s|m)$/, 'must be a duration such as "30s" or "1m"');
const headerName = z.string().regex(/^[a-z0-9-]{1,128}$/i, "must be an HTTP header name");

const matchRule = z.union(
    [
        z
            .object({ header: headerName, exact: shortText("exact").optional(), prefix: shortText("prefix").optional(), regex: shortText("regex").optional() })
            .strict()
            .refine(
                (rule) => [rule.exact, rule.prefix, rule.regex].filter((v) => v !== undefined).length === 1,
                "a header rule needs exactly one of exact, prefix, regex",
            ),
        z.object({ cookie: shortText("cookie").min(1, "a cookie rule needs a regex") }).strict(),
    ],
    { error: 'must be {header, exact|prefix|regex} or {cookie}, e.g. {"header": "x-canary", "exact": "beta"}' },
);

const deliveryFields = z
    .object({
        strategy: z.enum(DELIVERY_STRATEGIES, { error: `must be one of ${DELIVERY_STRATEGIES.join(", ")}` }).optional(),
        interval: duration.optional(),
        threshold: percent("failed checks before rollback").optional(),
        progressDeadlineSeconds: upTo(86_400).optional(),
        maxWeight: percent("% of traffic").optional(),
        stepWeight: percent("% of traffic").optional(),
        stepWeights: z.array(percent("% of traffic")).min(1, "must list at least one weight").max(100, "must list at most 100 weights").optional(),
        iterations: upTo(1000).optional(),
        match: z.array(matchRule).max(16, "must list at most 16 rules").optional(),
        mirror: z.boolean({ error: "must be true or false" }).optional(),
        mirrorWeight: percent("% of traffic").optional(),
        metrics: z
            .object({
                minSuccessRate: z.number().min(0, "must be from 0 to 100").max(100, "must be from 0 to 100").optional(),
                maxLatencyMs: upTo(600_000).optional(),
                sli: z.boolean().optional(),
                maxErrorRatePercent: z.number().min(0, "must be from 0 to 100").max(100, "must be from 0 to 100").optional(),
            })
            .strict()
            .optional(),
        webhooks: z
            .object({
                smokeTest: z.boolean().optional(),
                load: z.boolean().optional(),
                userJourneys: z.boolean().optional(),
                manualPromotion: z.boolean().optional(),
            })
            .strict()
            .optional(),
        alerting: z
            .object({
                provider: z.enum(ALERT_PROVIDERS, { error: `must be one of ${ALERT_PROVIDERS.join(", ")}` }),
                channel: z
                    .string({ error: "must be a channel name" })
                    .regex(/^[#@]?[A-Za-z0-9._-]{1,80}$/, "must be a channel name: up to 80 letters, digits, . _ or -, optionally after # or @")
                    .optional(),
                severity: z.enum(["info", "warn", "error"], { error: "must be info, warn or error" }).optional(),
            })
            .strict()
            .optional(),
    })
    .strict();

type DeliveryFields = z.output<typeof deliveryFields>;

/** Rules across fields: each message starts with the field to change. */
function deliveryProblems(set: DeliveryFields, d: DeliveryConfig): string[] {
    const problems: string[] = [];
    const canaryOnly = (["maxWeight", "stepWeight", "stepWeights", "mirrorWeight"] as const).filter((field) => set[field] !== undefined);
    if (d.strategy !== "canary") {
        for (const field of canaryOnly) problems.push(`delivery.${field} applies to strategy canary only (strategy is ${d.strategy})`);
    }
    if (d.strategy === "canary" && d.stepWeight > d.maxWeight)
        problems.push(`delivery.stepWeight ${d.stepWeight} must not exceed delivery.maxWeight (${d.maxWeight})`);
    const weights = d.stepWeights;
    if (weights) {
        if (weights.some((weight, i) => i > 0 && weight <= weights[i - 1]))
            problems.push(`delivery.stepWeights must increase step by step (got ${weights.join(", ")})`);
        if (weights[weights.length - 1] > d.maxWeight) problems.push(`delivery.stepWeights must stay within delivery.maxWeight (${d.maxWeight})`);
        if (set.stepWeight !== undefined) problems.push("delivery.stepWeight and delivery.stepWeights exclude each other: set one");
    }
    if (d.strategy === "ab" && d.match.length === 0)
        problems.push('delivery.match must name who gets the new version for strategy ab, e.g. [{"header": "x-canary", "exact": "beta"}]');
    if (d.strategy !== "ab" && d.match.length > 0) problems.push(`delivery.match applies to strategy ab only (strategy is ${d.strategy})`);
    if (d.mirror && d.strategy === "ab") problems.push("delivery.mirror applies to strategies canary and bluegreen");
    if (d.mirrorWeight !== undefined && !d.mirror) problems.push("delivery.mirrorWeight needs delivery.mirror: true");
    return problems;
}

function toDelivery(set: DeliveryFields): DeliveryConfig {
    const seed = SEED_DELIVERY;
    return {
        strategy: set.strategy ?? seed.strategy,
        interval: set.interval ?? seed.interval,
        threshold: set.threshold ?? seed.threshold,
        progressDeadlineSeconds: set.progressDeadlineSeconds ?? seed.progressDeadlineSeconds,
        maxWeight: set.maxWeight ?? seed.maxWeight,
        stepWeight: set.stepWeight ?? seed.stepWeight,
        ...(set.stepWeights ? { stepWeights: set.stepWeights } : {}),
        iterations: set.iterations ?? seed.iterations,
        match: set.match ?? seed.match,
        mirror: set.mirror ?? seed.mirror,
        ...(set.mirrorWeight !== undefined ? { mirrorWeight: set.mirrorWeight } : {}),
        metrics: { ...seed.metrics, ...set.metrics },
        webhooks: { ...seed.webhooks, ...set.webhooks },
        ...(set.alerting ? { alerting: { severity: "error", ...set.alerting } } : {}),
    };
}

/**
 * The `delivery` decoder: absent (or empty) gives the seed's canary; a JSON object (how Pulumi
 * passes structured values) is merged over it and checked field by field, then across fields.
 */
export const delivery = jsonObject("delivery", deliveryFields, '{"strategy": "canary", "stepWeight": 5}').transform((set, ctx): DeliveryConfig => {
    const config = toDelivery(set);
    const problems = deliveryProblems(set, config);
    for (const message of problems) ctx.addIssue({ code: "custom", message });
    return problems.length > 0 ? z.NEVER : config;
});
