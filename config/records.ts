/** A JSON/YAML mapping (not null, not a list): how code that reads parsed or recorded data tells them apart. */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
