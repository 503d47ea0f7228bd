/** How much of a user-supplied text a status or a log line repeats. */
export const PREVIEW_CHARS = 128;

/** A user-supplied text (an id, a node name, an error's message) as a bounded prefix, its full length noted when cut. */
export function bounded(text: string, max = PREVIEW_CHARS): string {
    return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}
