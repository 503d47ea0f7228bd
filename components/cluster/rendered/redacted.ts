/**
 * Stands in for a secret in the copies of generated files kept for offline inspection
 * (`npm run render`, component artifacts): the same marker resources.json uses.
 */
export const REDACTED = "[secret]";
