import { strict as assert } from "assert";
import { ESLint } from "eslint";
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { PROJECT_ROOT } from "./fixtures";

// The project's own ESLint and Prettier configs on a real file of the program: the file as it is
// passes, and the same file with one bad line fails (what `npm run lint` would report).
describe("lint: the project's ESLint and Prettier configs catch a bad line", function () {
    this.timeout(180_000);
    const file = path.join(PROJECT_ROOT, "components/shared/iam-grants.ts");
    const source = fs.readFileSync(file, "utf8");

    it("ESLint (type-aware) passes the file as it is and refuses a floating promise and an explicit any added to it", async () => {
        const eslint = new ESLint({ cwd: PROJECT_ROOT });
        const [clean] = await eslint.lintText(source, { filePath: file });
        assert.deepEqual(
            clean.messages.map((message) => `${message.line}: ${message.ruleId} ${message.message}`),
            [],
        );
        const bad = `${source}\nexport const loose: any = Promise.resolve(1);\nPromise.reject(new Error("nobody waits"));\n`;
        const [dirty] = await eslint.lintText(bad, { filePath: file });
        const rules = dirty.messages.map((message) => message.ruleId).sort();
        assert.deepEqual(rules, ["@typescript-eslint/no-explicit-any", "@typescript-eslint/no-floating-promises"]);
        assert.equal(dirty.errorCount, 2);
    });

    it("Prettier's check passes the file as it is and refuses it reformatted by hand", async () => {
        const options = { ...(await prettier.resolveConfig(file)), filepath: file };
        assert.equal(options.printWidth, 160);
        assert.equal(await prettier.check(source, options), true);
        assert.equal(await prettier.check(source.replace(/^ {4}/gm, "  "), options), false);
    });
});
