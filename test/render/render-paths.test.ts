import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";
import { ChildResult, inBatches, runScript, STACK_FRAME } from "../support/cli-child";

/**
 * Issue 14, "the CLIs stay inside their folders": `npm run render` reads only the project's own
 * Pulumi.<stack>.yaml and writes or deletes only inside --out, and only a render's own folder there.
 * Every refusal is a usage error (exit 2, no stack trace) made before anything is read or deleted.
 */

const render = (...args: string[]): Promise<ChildResult> => runScript("render/main.ts", args);

/** Every file under `dir` with its content: what a refused render must leave exactly as it was. */
function snapshot(dir: string): Record<string, string> {
    return Object.fromEntries(
        fs
            .readdirSync(dir, { recursive: true, encoding: "utf8" })
            .sort()
            .map((file) => [file, fs.lstatSync(path.join(dir, file)).isFile() ? fs.readFileSync(path.join(dir, file), "utf8") : "<dir>"]),
    );
}

function assertUsageRefusal(result: ChildResult, mentions: RegExp): void {
    assert.equal(result.status, 2, `exit ${result.status}\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, mentions);
    assert.match(result.stderr, /usage: npm run render/);
    assert.doesNotMatch(result.stderr, STACK_FRAME, "no stack trace");
}

/** The sentinel folder a hostile render must not touch. */
function plantSentinel(dir: string): Record<string, string> {
    fs.mkdirSync(path.join(dir, "photos"), { recursive: true });
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine\n");
    fs.writeFileSync(path.join(dir, "photos", "cat.jpg"), "not really a cat\n");
    return snapshot(dir);
}

describe("npm run render stays inside --out (issue 14)", function () {
    this.timeout(300_000);
    const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "render-paths-"));
    after(() => fs.rmSync(sandbox, { recursive: true, force: true }));

    describe("--stack is a bare stack name", () => {
        // A valid stack file outside the project, and next to it the folder a traversing --stack would empty:
        // "a/../../../..." cancels the "Pulumi.a" segment of Pulumi.<stack>.yaml and climbs to "/", so the old
        // code read <sandbox>/Pulumi.evil.yaml and replaced <sandbox>/Pulumi.evil/ with its output.
        const victim = path.join(sandbox, "Pulumi.evil");
        const out = path.join(sandbox, "out");
        const traversing = `a/${"../".repeat(30)}${victim.slice(1)}`;
        let sentinel: Record<string, string>;
        before(() => {
            fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), `${victim}.yaml`);
            sentinel = plantSentinel(victim);
        });

        it("a traversing --stack is refused before anything is read or deleted: the folder it names is intact", async () => {
            const result = await render("--out", out, "--stack", traversing);
            assertUsageRefusal(result, /--stack "a\/\.\.\/\.\.\//);
            assert.deepEqual(snapshot(victim), sentinel);
            assert.ok(!fs.existsSync(out), "nothing is created under --out");
        });

        // [class, value]: every one refused with a usage error, nothing created, at most 64 characters echoed.
        const hostile: readonly (readonly [string, string])[] = [
            ["path", "../dev"],
            ["path", "dev/../dev"],
            ["path", "/etc/passwd"],
            ["path", ".."],
            ["path", "."],
            ["path", ".dev"],
            ["path", "org/boutique-platform/dev"],
            ["path", "dev\\..\\..\\x"],
            ["size", "d".repeat(101)],
            ["size", "d".repeat(100_000)],
            ["unicode", "dév"],
            ["unicode", "dev\u202e"],
            ["unicode", "ｄｅｖ"],
            ["unicode", "dev\u001b[31m"],
            ["type", ""],
            ["type", "-dev"],
            ["shell", "$(touch /tmp/render-pwned)"],
            ["shell", "dev;ls"],
            ["shell", "dev *"],
            ["shell", " dev"],
        ];
        let results: ChildResult[] = [];
        before(async () => {
            results = await inBatches(hostile, 3, ([, stack]) => render("--out", out, `--stack=${stack}`));
        });
        hostile.forEach(([kind, stack], index) => {
            it(`refuses ${kind} --stack ${JSON.stringify(stack.slice(0, 24))}${stack.length > 24 ? `... (${stack.length} chars)` : ""}`, () => {
                assertUsageRefusal(results[index], /--stack/);
                assert.ok(!results[index].stderr.includes(stack.slice(0, 65)) || stack.length <= 64, "echoes at most 64 characters");
                // eslint-disable-next-line no-control-regex -- the check is that no raw ESC (terminal escape) reaches stderr
                assert.doesNotMatch(results[index].stderr, /[\u001b\u202e]/, "no raw control or bidi characters");
                assert.ok(!fs.existsSync(out), "nothing is created under --out");
            });
        });
    });

    describe("only a render's own folder is replaced", () => {
        it("--out <home> --stack dev, where <home>/dev is someone's folder: refused, contents intact", async () => {
            const home = path.join(sandbox, "home");
            const theirs = plantSentinel(path.join(home, "dev"));
            const result = await render("--out", home, "--stack", "dev");
            assertUsageRefusal(result, /not a render's output/);
            assert.deepEqual(snapshot(path.join(home, "dev")), theirs);
        });

        it("<out>/<stack> a symbolic link to someone's folder: refused, link and folder intact", async () => {
            const elsewhere = path.join(sandbox, "elsewhere");
            const theirs = plantSentinel(elsewhere);
            const out = path.join(sandbox, "linked");
            fs.mkdirSync(out);
            fs.symlinkSync(elsewhere, path.join(out, "dev"));
            const result = await render("--out", out, "--stack", "dev");
            assertUsageRefusal(result, /symbolic link/);
            assert.ok(fs.lstatSync(path.join(out, "dev")).isSymbolicLink());
            assert.deepEqual(snapshot(elsewhere), theirs);
        });

        it("--out naming a file: refused with a usage error, the file intact", async () => {
            const file = path.join(sandbox, "a-file");
            fs.writeFileSync(file, "keep\n");
            assertUsageRefusal(await render("--out", file), /not a directory/);
            assert.equal(fs.readFileSync(file, "utf8"), "keep\n");
        });

        it("--set without '=' echoes at most 64 characters of it", async () => {
            const long = "k".repeat(10_000);
            const result = await render("--set", long);
            assertUsageRefusal(result, /expected key=value/);
            assert.ok(!result.stderr.includes(long.slice(0, 65)));
        });

        it("renders twice into the same --out: the second replaces the first (its marker), no stale file survives", async () => {
            const out = path.join(sandbox, "twice");
            const first = await render("--out", out);
            assert.equal(first.status, 0, first.stderr);
            assert.ok(fs.existsSync(path.join(out, "dev", ".boutique-render")), "the render marks its folder");
            fs.writeFileSync(path.join(out, "dev", "stale.txt"), "from an older render\n");
            const second = await render("--out", out);
            assert.equal(second.status, 0, second.stderr);
            assert.ok(!fs.existsSync(path.join(out, "dev", "stale.txt")));
            assert.ok(fs.existsSync(path.join(out, "dev", "resources.json")));
        });
    });
});
