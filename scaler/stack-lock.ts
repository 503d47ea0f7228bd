/**
 * Who holds a DIY-backend stack lock, and whether the scaler may clear it.
 *
 * The DIY backend (our `gs://` state bucket) keeps one JSON file per lock holder under
 * `.pulumi/locks/<stack>/`. An update that is killed (SIGKILL at the end of a pod's grace
 * period) never deletes its file, and every later update then fails with Pulumi's lock error,
 * which the Automation API raises as ConcurrentUpdateError. The error's text names each lock's
 * owner, written by pulumi/pulumi pkg/backend/diy/lock.go (v3.248.0, commit a88168d8, lines
 * 86-106, `checkForLock`):
 *
 *     the stack is currently locked by %v lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.
 *       %v: created by %v@%v (pid %v) at %v        (lock URL, username, hostname, pid, RFC 3339 time)
 *
 * `pulumi cancel` (Stack.cancel()) on a DIY backend deletes every file in that directory
 * (backend.go `CancelCurrentUpdate`, lines 1631-1658), so it is only ever run when every lock
 * named is ours: held by the host name only the scaler's pod uses, left by an update of ours
 * that never finished.
 */

/** One lock file, as the lock error names it. */
export interface StackLock {
    /** The lock file's URL in the state backend. */
    readonly url: string;
    readonly user: string;
    readonly host: string;
    readonly pid: number;
    /** As Pulumi printed it (RFC 3339). */
    readonly createdAt: string;
}

const HEADER = /the stack is currently locked by (\d+) lock\(s\)/;
// The user may itself hold an "@" (a domain account); a host name never does, so the last one splits them.
const LOCK_LINE = /^\s*(\S.*?): created by (.*)@([^@\s]*) \(pid (-?\d+)\) at (\S+)\s*$/;
// The CLI colours its diagnostics unless told not to.
const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

/**
 * The locks a DIY lock error names, or undefined when the text is not one (Pulumi Cloud's
 * "409 Conflict" names nobody) or names fewer locks than it counts: then nobody is known.
 */
export function parseStackLocks(text: string): readonly StackLock[] | undefined {
    const clean = text.replace(ANSI, "");
    const header = HEADER.exec(clean);
    if (!header) return undefined;
    const byUrl = new Map<string, StackLock>();
    for (const line of clean.split(/\r?\n/)) {
        const match = LOCK_LINE.exec(line);
        if (match) byUrl.set(match[1], { url: match[1], user: match[2], host: match[3], pid: Number(match[4]), createdAt: match[5] });
    }
    // The Automation API's message repeats stderr; counting distinct files keeps a repeat from hiding a missing one.
    const locks = [...byUrl.values()];
    return locks.length === Number(header[1]) ? locks : undefined;
}

/** What the scaler knows when its update meets a lock. */
export interface LockContext {
    /** The host name only the scaler's pod uses (its spec.hostname). */
    readonly ownHost: string;
    /** An update of ours started and never succeeded since (the marker on the durable volume). */
    readonly unfinishedUpdate: boolean;
}

export type LockDecision = { readonly clear: true; readonly locks: readonly StackLock[] } | { readonly clear: false; readonly reason: string };

/**
 * Clear the lock only when it is certainly a dead update of ours: every lock names our host, and
 * an update of ours was left unfinished. No update of ours runs while we decide (updates are
 * serialised and this runs after the last one returned), so such a lock has no live owner.
 * Anything else (CI, a person, an unreadable message) is someone's live update: wait.
 */
export function decideOnLock(errorText: string, context: LockContext): LockDecision {
    const locks = parseStackLocks(errorText);
    if (locks === undefined || locks.length === 0) return { clear: false, reason: "the lock error names no DIY lock owners" };
    const foreign = locks.filter((lock) => lock.host !== context.ownHost);
    if (foreign.length > 0) return { clear: false, reason: `held by ${foreign.map((lock) => `${lock.user}@${lock.host} (pid ${lock.pid})`).join(", ")}` };
    if (!context.unfinishedUpdate) return { clear: false, reason: `the lock names our host ${context.ownHost}, but no update of ours was left unfinished` };
    return { clear: true, locks };
}

/** The text to read the owners from: the CLI's stderr when the error carries it, else the message. */
export function lockErrorText(error: unknown): string {
    if (!(error instanceof Error)) return String(error);
    const result: unknown = (error as Error & { commandResult?: unknown }).commandResult;
    const stderr = typeof result === "object" && result !== null ? (result as { stderr?: unknown }).stderr : undefined;
    return typeof stderr === "string" ? stderr : error.message;
}
