// Helpers for reading a resource's inputs, which arrive as untyped JSON (from the engine, behind a
// proxy that throws on values a preview does not know yet, which it reports as "can't check").
import { isRecord } from "../config/records";

export { isRecord };

export type Props = Record<string, unknown>;

/** The mappings in a list; anything that is not a list has none. */
export function recordsIn(value: unknown): Props[] {
    return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The strings in a list; anything that is not a list has none. */
export function stringsIn(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** The value at `path` below `value`, or undefined where the path does not exist. */
export function at(value: unknown, ...path: string[]): unknown {
    let current = value;
    for (const key of path) {
        if (!isRecord(current)) return undefined;
        current = current[key];
    }
    return current;
}

/** How a message names a value: "unset" when absent, else as JSON (so strings show their quotes). */
export function shown(value: unknown): string {
    return value === undefined ? "unset" : JSON.stringify(value);
}

/** A string compared case-insensitively, or undefined when the value is not a string. */
export function lower(value: unknown): string | undefined {
    return typeof value === "string" ? value.toLowerCase() : undefined;
}
