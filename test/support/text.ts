/** A value as text for messages and comparisons: strings as they are, objects as JSON, other values as `String` prints them. */
export function textOf(value: unknown): string {
    if (typeof value === "string") return value;
    if (typeof value === "object" && value !== null) return JSON.stringify(value);
    return String(value);
}
