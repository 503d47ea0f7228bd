import * as fs from "fs";
import * as path from "path";

/** A command line that does not make sense: printed with the usage, exit code 2. */
export class UsageError extends Error {}

function isParseArgsError(error: unknown): error is Error {
    return error instanceof Error && String((error as NodeJS.ErrnoException).code).startsWith("ERR_PARSE_ARGS");
}

/** The most of any one value a message repeats: enough to recognise it, never a screenful. */
export const ECHO_LIMIT = 64;

/** Anything a terminal could act on, or that reads as something else: escaped as \uXXXX. */
const UNPRINTABLE = /[^\x20-\x7e]/g;
const escapeUnprintable = (text: string): string => text.replace(UNPRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * A user's value for a message: double-quoted, escaped (control, non-ASCII and bidi characters as
 * \uXXXX), at most ECHO_LIMIT characters of it, with its length when cut.
 */
export function quoteInput(value: string): string {
    const shown = value.length > ECHO_LIMIT ? value.slice(0, ECHO_LIMIT) : value;
    const quoted = escapeUnprintable(JSON.stringify(shown));
    return value.length > ECHO_LIMIT ? `${quoted}... (${value.length} characters)` : quoted;
}

/**
 * A count given on the command line: decimal digits only (no sign, space, 0x, exponent, fraction
 * or leading zero; Number() would take "0x5", " 5" and "1e3"), from 0 to `max`.
 */
export function parseCount(flag: string, text: string, max: number): number {
    const digits = /^(0|[1-9][0-9]*)$/.test(text) && text.length <= String(max).length;
    if (!digits || Number(text) > max) throw new UsageError(`${flag} ${quoteInput(text)}: expected a whole number from 0 to ${max}, in decimal digits`);
    return Number(text);
}

/**
 * Refuses a path whose nearest existing part is not a directory (a file where a folder is
 * needed): mkdir would fail there with a raw ENOTDIR.
 */
export function requireDirectoryPath(flag: string, target: string): void {
    let existing = path.resolve(target);
    while (fs.lstatSync(existing, { throwIfNoEntry: false }) === undefined && path.dirname(existing) !== existing) existing = path.dirname(existing);
    // Followed through symbolic links: a link to a folder is a folder, a dangling one is not.
    if (fs.statSync(existing, { throwIfNoEntry: false })?.isDirectory() !== true) {
        throw new UsageError(`${flag} ${quoteInput(target)}: ${quoteInput(existing)} is not a directory`);
    }
}

/** What the file system refused (permissions, a full or read-only disk): the environment, not a bug. */
const FILE_SYSTEM_CODES = new Set(["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EEXIST", "ENOTDIR", "EISDIR", "ELOOP", "ENAMETOOLONG", "ENOENT"]);

/** A short message for a file-system refusal, for runCli's `explain`; undefined for anything else. */
export function fileSystemProblem(error: unknown): string | undefined {
    const { code, syscall, path: file } = error instanceof Error ? (error as NodeJS.ErrnoException) : {};
    if (code === undefined || !FILE_SYSTEM_CODES.has(code) || file === undefined) return undefined;
    return `${code}: could not ${syscall ?? "use"} ${quoteInput(file)}`;
}

/** parseArgs' messages repeat the option as given: bounded and escaped like any echoed value. */
function boundedParseArgsMessage(message: string): string {
    const limit = 4 * ECHO_LIMIT;
    return escapeUnprintable(message.length > limit ? `${message.slice(0, limit)}... (${message.length} characters)` : message);
}

/**
 * Runs a command's `main` and turns its failure into an exit: usage errors (ours and
 * util.parseArgs') print the message and the usage with code 2; an error `explain` knows prints
 * its short message with code 1; anything else is a bug and prints its stack with code 1. Every
 * refusal of bad input is one of the first two.
 */
export function runCli(
    main: (argv: string[]) => Promise<number | void>,
    usage: string,
    explain: (error: unknown) => string | undefined = () => undefined,
): void {
    main(process.argv.slice(2)).then(
        (code) => {
            if (typeof code === "number") process.exit(code);
        },
        (error: unknown) => {
            // Ours quote their values already; parseArgs' repeat the option as given.
            const usageMessage = error instanceof UsageError ? error.message : isParseArgsError(error) ? boundedParseArgsMessage(error.message) : undefined;
            if (usageMessage !== undefined) {
                console.error(`${usageMessage}\n\n${usage}`);
                process.exit(2);
            }
            console.error(explain(error) ?? (error instanceof Error ? (error.stack ?? error.message) : String(error)));
            process.exit(1);
        },
    );
}
