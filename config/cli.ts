/** A command line that does not make sense: printed with the usage, exit code 2. */
export class UsageError extends Error {}

function isUsageError(error: unknown): error is Error {
    return error instanceof UsageError || (error instanceof Error && String((error as NodeJS.ErrnoException).code).startsWith("ERR_PARSE_ARGS"));
}

/**
 * Runs a command's `main` and turns its failure into an exit: usage errors (ours and
 * util.parseArgs') print the message and the usage with code 2; an error `explain` knows prints
 * its short message with code 1; anything else prints its stack with code 1.
 */
export function runCli(main: (argv: string[]) => Promise<number | void>, usage: string, explain: (error: unknown) => string | undefined = () => undefined): void {
    main(process.argv.slice(2)).then(
        (code) => {
            if (typeof code === "number") process.exit(code);
        },
        (error: unknown) => {
            if (isUsageError(error)) {
                console.error(`${error.message}\n\n${usage}`);
                process.exit(2);
            }
            console.error(explain(error) ?? (error instanceof Error ? (error.stack ?? error.message) : String(error)));
            process.exit(1);
        },
    );
}
