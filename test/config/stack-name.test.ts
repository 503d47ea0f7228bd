import { strict as assert } from "assert";
import { UsageError } from "../../config/cli";
import { requireStackName, stackNameProblem } from "../../config/stack-name";

describe("stack names (Pulumi's rule, bare names only)", () => {
    const accepted = ["dev", "prod", "Dev-2", "eu_west.1", "a", "9", "x".repeat(100), "dev.", "dev..x"];
    for (const name of accepted) {
        it(`accepts ${JSON.stringify(name.slice(0, 24))}`, () => assert.equal(stackNameProblem(name), undefined));
    }

    // [name, what the problem says]
    const refused: readonly (readonly [string, RegExp])[] = [
        ["", /empty/],
        ["x".repeat(101), /longer than 100/],
        ["org/project/dev", /"\/"/],
        ["project/dev", /"\/"/],
        ["../dev", /"\/"/],
        ["/etc/passwd", /"\/"/],
        [".", /start with/],
        ["..", /start with/],
        [".hidden", /start with/],
        ["-dev", /start with/],
        ["dev\\..\\x", /letters, digits/],
        ["dev stack", /letters, digits/],
        [" dev", /letters, digits/],
        ["dev\n", /letters, digits/],
        ["dev\u0000", /letters, digits/],
        ["dév", /letters, digits/],
        ["ｄｅｖ", /letters, digits/],
        ["dev\u202e", /letters, digits/],
        ["$(id)", /letters, digits/],
        ["dev;ls", /letters, digits/],
        ["dev*", /letters, digits/],
        ["dev:prod", /letters, digits/],
    ];
    for (const [name, problem] of refused) {
        it(`refuses ${JSON.stringify(name.slice(0, 24))}`, () => assert.match(stackNameProblem(name) ?? "(accepted)", problem));
    }

    it("requireStackName: the name back, or a usage error quoting at most 64 characters of it", () => {
        assert.equal(requireStackName("dev"), "dev");
        const long = `../${"y".repeat(5000)}`;
        assert.throws(
            () => requireStackName(long),
            (error: unknown) =>
                error instanceof UsageError &&
                error.message.startsWith('--stack "../yyy') &&
                !error.message.includes("y".repeat(65)) &&
                /5003 characters/.test(error.message),
        );
        assert.throws(
            () => requireStackName("dev\u202e", "--stack"),
            (error: unknown) => error instanceof UsageError && error.message.includes('"dev\\u202e"'),
        );
    });
});
