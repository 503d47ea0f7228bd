import { strict as assert } from "assert";
import { parseCount, quoteInput, UsageError } from "../../config/cli";

describe("command-line values (config/cli.ts)", () => {
    describe("parseCount: decimal digits only, 0..max", () => {
        for (const [text, expected] of [
            ["0", 0],
            ["5", 5],
            ["1000", 1000],
        ] as const) {
            it(`reads ${JSON.stringify(text)} as ${expected}`, () => assert.equal(parseCount("--n", text, 1000), expected));
        }
        for (const text of [
            "0x5",
            "0b1",
            "0o7",
            "5.0",
            "1e3",
            " 5",
            "5 ",
            "+5",
            "-1",
            "05",
            "",
            "Infinity",
            "NaN",
            "５",
            "٥",
            "1001",
            "99999999999999999999",
            "5;ls",
        ]) {
            it(`refuses ${JSON.stringify(text)} with a usage error naming the flag`, () =>
                assert.throws(
                    () => parseCount("--n", text, 1000),
                    (error: unknown) => error instanceof UsageError && error.message.startsWith("--n "),
                ));
        }
    });

    describe("quoteInput: at most 64 characters, escaped", () => {
        it("quotes a short value as it is", () => assert.equal(quoteInput("dev"), '"dev"'));
        it("cuts a long value and says how long it was", () => assert.equal(quoteInput("x".repeat(100)), `"${"x".repeat(64)}"... (100 characters)`));
        it("escapes control, bidi and non-ASCII characters", () => assert.equal(quoteInput("a\u001b[2J\u202eé\n"), '"a\\u001b[2J\\u202e\\u00e9\\n"'));
    });
});
