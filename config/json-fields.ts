import { quoteInput } from "./cli";
import { z } from "zod";
import { isIpv4Network, Ipv4Network, parseIpv4Cidr } from "./cidr";
import { rawText, textProblem } from "./fields";

/**
 * Decoders for the values Pulumi passes as JSON: lists (`type: array`) and objects (set with
 * `--path`). The JSON is checked as a whole before any schema sees it: nesting depth, and every
 * string inside it (size, control and invisible characters), in one pass over the parsed value.
 */

/** Objects and lists nest this deep at most (the deepest real value, delivery.match[i], is 3). */
const MAX_DEPTH = 8;

/** Parses `value` and checks every string in it; a problem instead of a value when either fails. */
export function parseJson(value: string): { readonly value: unknown } | { readonly problem: string } {
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        return { problem: "is not valid JSON" };
    }
    // Iterative, so a deeply nested value cannot exhaust the stack.
    const pending: [unknown, number][] = [[parsed, 0]];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
        const [node, depth] = next;
        if (typeof node === "string") {
            const problem = textProblem(node);
            if (problem) return { problem: `has a string that ${problem}` };
        } else if (typeof node === "object" && node !== null) {
            if (depth >= MAX_DEPTH) return { problem: `nests deeper than ${MAX_DEPTH} levels` };
            for (const [key, child] of Object.entries(node)) {
                if (!Array.isArray(node)) pending.push([key, depth + 1]);
                pending.push([child, depth + 1]);
            }
        }
    }
    return { value: parsed };
}

/** A JSON list (how Pulumi passes `type: array` values) of at most `maxItems`, each item decoded by `item`. */
export function jsonList<T extends z.ZodType>(item: T, example: string, maxItems: number) {
    return rawText
        .transform((value, ctx): unknown => {
            const parsed = parseJson(value);
            if ("problem" in parsed) {
                ctx.addIssue({ code: "custom", message: parsed.problem === "is not valid JSON" ? `must be a list, e.g. ${example}` : parsed.problem });
                return z.NEVER;
            }
            return parsed.value;
        })
        .pipe(z.array(item, { error: `must be a list, e.g. ${example}` }).max(maxItems, `must list at most ${maxItems} entries`));
}

/** The values that occur more than once in `items`, each once, in order of their second occurrence (linear). */
export function repeatedValues<T>(items: readonly T[]): T[] {
    const seen = new Set<T>();
    return [...new Set(items.filter((item) => seen.size === seen.add(item).size))];
}

export const slotNumber = z.number({ error: "must list whole numbers" }).int("must list whole numbers").min(0, "must list slot numbers that are 0 or more");

export const cidrItem = z.string({ error: "must list CIDRs as text" }).transform((value, ctx): Ipv4Network => {
    const parsed = parseIpv4Cidr(value);
    if (!isIpv4Network(parsed)) {
        ctx.addIssue({ code: "custom", message: `has ${quoteInput(value)}, which ${parsed.error}` });
        return z.NEVER;
    }
    return parsed;
});

/** Where a zod issue sits inside an object, as the user names it: "stepWeights[2]", "metrics.sli". */
export function fieldPath(path: readonly PropertyKey[]): string {
    return path.map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${quotedName(String(part))}`)).join("");
}

/** A field name as a message shows it: field names are identifiers; anything else may be a pasted value and is not shown. */
function quotedName(name: string): string {
    return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : "(a name that is not an identifier)";
}

/**
 * A structured key (Pulumi hands objects over as JSON): absent or empty decodes as {}; every
 * issue names the field as the user writes it, `<key>.<field> <message>`. Messages never quote a
 * field's value: a structured key may hold a secret in any field.
 */
export function jsonObject<T extends z.ZodType<object>>(key: string, fields: T, example: string) {
    return rawText.optional().transform((value, ctx): z.output<T> => {
        let raw: unknown = {};
        if (value !== undefined && value.trim() !== "") {
            const parsed = parseJson(value);
            if ("problem" in parsed) {
                ctx.addIssue({
                    code: "custom",
                    message: parsed.problem === "is not valid JSON" ? `must be an object, e.g. ${example}` : `${key} ${parsed.problem}`,
                });
                return z.NEVER;
            }
            raw = parsed.value;
        }
        const parsed = fields.safeParse(raw);
        if (parsed.success) return parsed.data;
        for (const issue of parsed.error.issues) {
            const where = issue.path.length > 0 ? `${key}.${fieldPath(issue.path)} ` : `${key} `;
            const message =
                issue.code === "unrecognized_keys"
                    ? `has unknown field(s) ${issue.keys.slice(0, 5).map(quotedName).join(", ")}${issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : ""}`
                    : issue.code === "invalid_type" && issue.path.length === 0
                      ? "must be an object"
                      : issue.message;
            ctx.addIssue({ code: "custom", message: `${where}${message}` });
        }
        return z.NEVER;
    });
}
