import type { LoggerOptions } from "pino";
import { stdSerializers } from "pino";
import { bounded } from "./bounded-text";

/**
 * Every log line stays bounded, whatever a client sent: each string value (ids, node names,
 * error texts) and the message itself is cut to a prefix with its length noted. The handlers
 * already bound what they log; this is the guard for whatever else reaches a log call.
 */

/** The longest string value a log line repeats whole. */
export const LOG_VALUE_CHARS = 512;
/** Stack traces: longer, they are ours, but their first line is an error's message. */
const STACK_CHARS = 4 * LOG_VALUE_CHARS;
/** Nested objects deeper than this, and array items past this many, are left out. */
const MAX_DEPTH = 4;
const MAX_ITEMS = 32;

function boundedValue(value: unknown, depth: number): unknown {
    if (typeof value === "string") return bounded(value, LOG_VALUE_CHARS);
    // Errors go to the err serializer below, which bounds what it makes of them.
    if (value === null || typeof value !== "object" || value instanceof Error) return value;
    if (depth >= MAX_DEPTH) return "[nested too deep to log]";
    if (Array.isArray(value)) {
        const items = value.slice(0, MAX_ITEMS).map((item) => boundedValue(item, depth + 1));
        return value.length > MAX_ITEMS ? [...items, `… (${value.length} items)`] : items;
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, boundedValue(item, depth + 1)]));
}

function boundedError(error: unknown): unknown {
    const serialized = stdSerializers.err(error as Error) as unknown;
    if (typeof serialized !== "object" || serialized === null) return serialized;
    const entries = Object.entries(serialized).map(([key, item]) => [
        key,
        key === "stack" && typeof item === "string" ? bounded(item, STACK_CHARS) : boundedValue(item, 1),
    ]);
    return Object.fromEntries(entries);
}

/** pino's options for the scaler's logger: the level, and the bounds above. */
export function boundedLogOptions(level: string): LoggerOptions {
    return {
        level,
        formatters: { log: (object) => boundedValue(object, 0) as Record<string, unknown> },
        serializers: { err: boundedError },
        hooks: {
            logMethod(args, method) {
                const boundedArgs = args.map((arg: unknown) => (typeof arg === "string" ? bounded(arg, LOG_VALUE_CHARS) : arg)) as typeof args;
                method.apply(this, boundedArgs);
            },
        },
    };
}
