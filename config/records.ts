/** A JSON/YAML mapping (not null, not a list): how code that reads parsed or recorded data tells them apart. */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A recorded text field: `value` when it is text, `fallback` when it is absent (undefined or null).
 * Anything else is not text to print, so it is refused rather than stringified as "[object Object]".
 */
export function textOr(value: unknown, fallback: string, what: string): string {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string") throw new Error(`${what}: expected text, got ${JSON.stringify(value)}`);
    return value;
}
