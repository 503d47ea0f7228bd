import { strict as assert } from "assert";
import { UsageError } from "../../config/cli";
import { scalerOptions } from "../../scaler/main";

/** The scaler's own command line: every bad value is a usage error quoting at most 64 characters of it. */

const BASE = ["--dry-run", "--insecure"];

const REFUSED: readonly [string, string[], RegExp][] = [
    ["a traversing stack", ["--stack", "../../etc"], /^--stack "\.\.\/\.\.\/etc": a stack name/],
    ["a stack with a shell payload", ["--stack", "dev;reboot"], /^--stack "dev;reboot": a stack name/],
    ["seconds in hex", ["--stop-timeout", "0x5"], /^--stop-timeout "0x5": expected a number of seconds from 0 to 86400, in decimal digits/],
    ["seconds with an exponent", ["--up-seconds", "1e3"], /^--up-seconds "1e3": expected a number of seconds/],
    ["a negative idle limit", ["--idle-seconds=-1"], /^--idle-seconds "-1": expected a number of seconds from 0\.1/],
    ["a connection cap in hex", ["--max-connections", "0x20"], /^--max-connections "0x20": expected a whole number/],
    ["no connections at all", ["--max-connections", "0"], /^--max-connections "0": expected a whole number, at least 1/],
    ["an unknown log level", ["--log-level", "verbose"], /^--log-level "verbose": expected one of fatal, error, warn, info, debug, trace, silent/],
    ["a listen address with a payload", ["--listen", "$(id):8086"], /^--listen "\$\(id\):8086": expected host:port/],
    ["a 1 MiB listen address", ["--listen", `${"a".repeat(1024 * 1024)}:1`], /^--listen "a{64}"\.\.\. \(1048578 characters\): expected host:port/],
    ["a port beyond 65535", ["--http", "127.0.0.1:70000"], /^--http "127\.0\.0\.1:70000": expected host:port/],
];

describe("scaler options", () => {
    it("accepts the in-cluster and local forms", () => {
        const local = scalerOptions([...BASE, "--listen", "127.0.0.1:0", "--up-seconds", "0.5", "--log-level", "warn"]);
        assert.deepEqual([local.listen, local.dryRun?.upSeconds, local.logLevel], [{ host: "127.0.0.1", port: 0 }, 0.5, "warn"]);
        assert.deepEqual(scalerOptions([...BASE, "--listen", "[::1]:8086"]).listen, { host: "[::1]", port: 8086 });
        assert.equal(scalerOptions([...BASE, "--stack", "prod.eu-1"]).stack, "prod.eu-1");
    });

    for (const [what, argv, message] of REFUSED) {
        it(`refuses ${what} as a usage error`, () => {
            assert.throws(
                () => scalerOptions([...BASE, ...argv]),
                (error: unknown) => error instanceof UsageError && message.test(error.message) && error.message.length < 300,
            );
        });
    }
});
