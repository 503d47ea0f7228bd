import { CONFIG_KEYS, parseStackConfig, StackConfigError } from "../../config/stack-config";
import { loadStackConfigMap, qualifyKey } from "../../config/stack-files";
import { PROJECT_ROOT } from "../fixtures";

/**
 * A bad-input campaign against the stack config, as an attacker (or a careless paste) would run
 * it: for every key the program reads, hostile values of nine classes. Each attempt is refused
 * (with messages) or accepted; the caller checks the refusals' messages and renders the accepted.
 */

export const HOSTILE_CLASSES = ["shell", "yaml", "haproxy", "path", "size", "unicode", "type", "range", "set"] as const;
export type HostileClass = (typeof HOSTILE_CLASSES)[number];

export interface Attempt {
    /** The full key under attack. */
    readonly key: string;
    readonly hostileClass: HostileClass;
    /** Config overrides: the attacked key, and any other key the attempt needs to reach its target. */
    readonly overrides: Readonly<Record<string, string>>;
    /** The payload, as a message must never quote more than 64 characters of it. */
    readonly payload: string;
}

export type Outcome =
    { readonly kind: "refused"; readonly problems: readonly string[] } | { readonly kind: "accepted" } | { readonly kind: "crashed"; readonly error: string };

const MIB = 1024 * 1024;

/** Text payloads by class; each is tried as the whole value, and inside lists and objects. */
const TEXT_PAYLOADS: Readonly<Record<Exclude<HostileClass, "set">, readonly string[]>> = {
    shell: ["$(id)", "`id`", "a; rm -rf /", "a|sh", "a && curl x", "'\"", "${IFS}cat", "a\nreboot", "$((1<<62))", "\\$(id)"],
    yaml: [": x", "a: b", "- a", "{a: 1}", "[a]", "!!js/function 'f'", "&a *a", "# c", "a\n  b: c", "yes", "~", "null", "0x1F", ".inf", "--- x"],
    haproxy: ["a\n  bind :1", "a bind :1", "%[req.hdr(host)]", "a#b", "a\\ b", "backend x", "server x 1.2.3.4:80", "\r\nuse_backend x"],
    path: ["../../etc/passwd", "/etc/passwd", "~/.ssh/id_rsa", "..", "a/../../b", "C:\\x", "file:///etc/passwd", "gs://bucket/../x"],
    size: ["a".repeat(300), "a".repeat(65_537), "a".repeat(MIB), "9".repeat(400), "-".repeat(70)],
    unicode: ["ｗｏｒｋｅｒ", "１２", "٣", "еxample", "a\u202eb", "a\u200bb", "😀", "a\u0000b", "é", "İ", "\ufeffx", "a\u2028b"],
    type: ["", "null", "true", "false", "[]", "{}", "[1]", "1.5", '"x"', '{"a":1}', "0"],
    range: ["-1", "-0", "9007199254740993", "1e309", "NaN", "Infinity", "4294967296", "2147483648", "00000000000000000003", "1.0"],
};

/** Numbers as JSON (inside lists and objects). */
const JSON_NUMBERS = ["-1", "0", "1.5", "1e309", "9007199254740993", "2147483648", "-0"];

const OBJECT_FIELDS: Readonly<Record<string, readonly { readonly path: readonly string[]; readonly numeric?: boolean }[]>> = {
    delivery: [
        { path: ["strategy"] },
        { path: ["interval"] },
        { path: ["threshold"], numeric: true },
        { path: ["progressDeadlineSeconds"], numeric: true },
        { path: ["iterations"], numeric: true },
        { path: ["metrics", "maxLatencyMs"], numeric: true },
        { path: ["alerting", "channel"] },
    ],
    autoscaler: [
        { path: ["scalerImage"] },
        { path: ["stateBackend"] },
        { path: ["secretsProvider"] },
        { path: ["scaleDownUnneededTime"] },
        { path: ["scaleUpdateMinutes"], numeric: true },
    ],
    boutiqueImages: [{ path: ["frontend"] }],
};

const project = "boutique-platform";
const shortName = (key: string) => key.replace(`${project}:`, "");

/** The dev stack's config map, read once. */
export const BASE_CONFIG: Readonly<Record<string, string>> = loadStackConfigMap(PROJECT_ROOT, "dev").values;

function withPath(base: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
    const [head, ...rest] = path;
    if (rest.length === 0) return { ...base, [head]: value };
    const inner = (base[head] ?? {}) as Record<string, unknown>;
    return { ...base, [head]: withPath(inner, rest, value) };
}

function objectAttempts(key: string): Attempt[] {
    const name = shortName(key);
    const base = JSON.parse(BASE_CONFIG[key] ?? "{}") as Record<string, unknown>;
    // The alert channel is only read with a provider and the webhook it needs.
    const extras: Record<string, string> = name === "delivery" ? { deliveryAlertWebhookUrl: "https://hooks.example.com/services/T0/B0/x" } : {};
    const attempts: Attempt[] = [];
    for (const field of OBJECT_FIELDS[name] ?? []) {
        const start = field.path[0] === "alerting" ? { ...base, alerting: { provider: "slack" } } : base;
        const add = (hostileClass: HostileClass, value: unknown, payload: string) =>
            attempts.push({ key, hostileClass, payload, overrides: { ...extras, [key]: JSON.stringify(withPath(start, field.path, value)) } });
        for (const hostileClass of HOSTILE_CLASSES) {
            if (hostileClass === "set") continue;
            for (const payload of TEXT_PAYLOADS[hostileClass]) add(hostileClass, payload, payload);
        }
        if (field.numeric) for (const number of JSON_NUMBERS) add("range", JSON.parse(number), number);
        add("type", [], "[]");
        add("type", { a: 1 }, '{"a":1}');
        add("type", null, "null");
    }
    for (const payload of TEXT_PAYLOADS.shell.concat(TEXT_PAYLOADS.unicode, TEXT_PAYLOADS.path)) {
        attempts.push({ key, hostileClass: "type", payload, overrides: { ...extras, [key]: JSON.stringify({ ...base, [payload]: 1 }) } });
    }
    attempts.push({ key, hostileClass: "size", payload: "deep", overrides: { [key]: `${'{"a":'.repeat(2000)}1${"}".repeat(2000)}` } });
    return attempts;
}

/** Set-level payloads of the list keys, and of the scalar keys whose meaning depends on others. */
function setAttempts(key: string): Attempt[] {
    const list = (values: unknown[]) => JSON.stringify(values);
    const sets: Record<string, string[]> = {
        adminCidrs: [
            list(Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`)),
            list(["11.0.0.0/9", "11.128.0.0/9", "12.0.0.0/16"]),
            list(["203.0.113.0/24", "203.0.113.0/24"]),
            list(Array.from({ length: 300 }, (_, i) => `198.51.100.${i % 256}/32`)),
            list([]),
        ],
        retiredWorkerSlots: [
            list([1, 1]),
            list(Array.from({ length: 5001 }, (_, i) => i)),
            list([0, 1, 2, 3, 4, 5]),
            list(Array.from({ length: 200_000 }, (_, i) => i)),
        ],
        boutiqueHosts: [
            list(["shop.example.com", "shop.example.com"]),
            list(Array.from({ length: 65 }, (_, i) => `s${i}.example.com`)),
            list(["kubernetes.default.svc", "metadata.google.internal", "frontend.boutique"]),
        ],
        podCidr: ["10.10.0.0/24", "10.96.0.0/12", "10.0.0.0/8"],
        serviceCidr: ["10.10.0.0/24", "10.244.0.0/16"],
        subnetCidr: ["10.244.0.0/16", "10.10.0.0/28"],
        workerCount: ["7", "1"],
        minWorkers: ["7"],
        maxWorkers: ["1", "5000"],
    };
    return (sets[shortName(key)] ?? []).map((value) => ({ key, hostileClass: "set", payload: value, overrides: { [key]: value } }));
}

function listAttempts(key: string, numericItems: boolean): Attempt[] {
    const attempts: Attempt[] = [];
    for (const hostileClass of HOSTILE_CLASSES) {
        if (hostileClass === "set") continue;
        for (const payload of TEXT_PAYLOADS[hostileClass]) {
            attempts.push({ key, hostileClass, payload, overrides: { [key]: payload } });
            attempts.push({ key, hostileClass, payload, overrides: { [key]: JSON.stringify([payload]) } });
        }
    }
    for (const number of JSON_NUMBERS)
        attempts.push({ key, hostileClass: numericItems ? "range" : "type", payload: number, overrides: { [key]: `[${number}]` } });
    attempts.push({ key, hostileClass: "size", payload: "deep", overrides: { [key]: "[".repeat(3000) + "]".repeat(3000) } });
    return attempts;
}

const LIST_KEYS: Readonly<Record<string, boolean>> = { adminCidrs: false, retiredWorkerSlots: true, boutiqueHosts: false };

/** Every attempt of the campaign, key by key. */
export function hostileAttempts(): Attempt[] {
    const attempts: Attempt[] = [];
    for (const key of CONFIG_KEYS) {
        const name = shortName(key);
        if (name in OBJECT_FIELDS) attempts.push(...objectAttempts(key));
        else if (name in LIST_KEYS) attempts.push(...listAttempts(key, LIST_KEYS[name]));
        else
            for (const hostileClass of HOSTILE_CLASSES) {
                if (hostileClass !== "set")
                    for (const payload of TEXT_PAYLOADS[hostileClass]) attempts.push({ key, hostileClass, payload, overrides: { [key]: payload } });
            }
        attempts.push(...setAttempts(key));
    }
    return attempts;
}

/** The config map of an attempt: the dev stack's, with its overrides. */
export function attemptConfig(attempt: Pick<Attempt, "overrides">): Record<string, string> {
    const config: Record<string, string> = { ...BASE_CONFIG };
    for (const [key, value] of Object.entries(attempt.overrides)) config[qualifyKey(project, key)] = value;
    return config;
}

export function tryAttempt(attempt: Attempt): Outcome {
    try {
        parseStackConfig(attemptConfig(attempt));
        return { kind: "accepted" };
    } catch (error) {
        if (error instanceof StackConfigError) return { kind: "refused", problems: error.problems };
        return { kind: "crashed", error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
}

/** Per key and class: refused / accepted counts, as a Markdown table (classes a key was not tried with are blank). */
export function campaignTable(results: readonly { readonly attempt: Attempt; readonly outcome: Outcome }[]): string {
    const counts = new Map<string, Map<HostileClass, [number, number]>>();
    for (const { attempt, outcome } of results) {
        const row = counts.get(attempt.key) ?? new Map<HostileClass, [number, number]>();
        const cell = row.get(attempt.hostileClass) ?? [0, 0];
        cell[outcome.kind === "accepted" ? 1 : 0]++;
        row.set(attempt.hostileClass, cell);
        counts.set(attempt.key, row);
    }
    const header = `| key | ${HOSTILE_CLASSES.join(" | ")} | total |\n| --- |${HOSTILE_CLASSES.map(() => " --- |").join("")} --- |`;
    const total = (cells: Iterable<[number, number]>) => [...cells].reduce<[number, number]>((sum, [r, a]) => [sum[0] + r, sum[1] + a], [0, 0]);
    const lines = [...counts].map(
        ([key, row]) =>
            `| ${key} | ${HOSTILE_CLASSES.map((c) => (row.has(c) ? `${row.get(c)?.[0]}/${row.get(c)?.[1]}` : "")).join(" | ")} | ${total(row.values()).join("/")} |`,
    );
    const byClass = HOSTILE_CLASSES.map((c) => total([...counts.values()].flatMap((row) => (row.has(c) ? [row.get(c) as [number, number]] : []))).join("/"));
    const all = total([...counts.values()].flatMap((row) => [...row.values()]));
    return [header, ...lines, `| **all keys** | ${byClass.join(" | ")} | ${all.join("/")} |`, "", "cells: refused/accepted"].join("\n");
}
