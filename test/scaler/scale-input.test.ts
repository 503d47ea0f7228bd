import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";
import { ChildResult, inBatches, runScript, STACK_FRAME } from "../support/cli-child";

/**
 * Issue 14: `npm run scale` answers hostile input with a usage message (exit 2) or, for a
 * well-formed request the pool refuses, `refused: ...` (exit 1); never a stack trace, never a
 * value taken for another (0x5 is not 5), never more than 64 characters of a value echoed.
 */

type Outcome = "usage" | "refused" | "accepted";

interface Case {
    readonly kind: "path" | "size" | "unicode" | "type" | "range" | "shell" | "valid";
    readonly args: readonly string[];
    readonly outcome: Outcome;
}

const usage = (kind: Case["kind"], ...args: string[]): Case => ({ kind, args, outcome: "usage" });
const workers = (kind: Case["kind"], value: string, outcome: Outcome = "usage"): Case => ({ kind, args: [`--workers=${value}`], outcome });
const upSeconds = (kind: Case["kind"], value: string): Case => usage(kind, "--workers=4", `--up-seconds=${value}`);
const remove = (kind: Case["kind"], value: string, outcome: Outcome = "usage"): Case => ({ kind, args: [`--remove=${value}`], outcome });
const stack = (kind: Case["kind"], value: string): Case => usage(kind, "--workers=4", `--stack=${value}`);

/** Every file a case writes or names: removed after the run. */
const SANDBOX = path.join(os.tmpdir(), `scale-input-${process.pid}`);
const SOMEONES_JSON = path.join(SANDBOX, "someones.json");
const UNREADABLE_SCALE = path.join(SANDBOX, "unreadable-scale.json");

const DEV_WORKER_1 = "gce://boutique-dev-000000/europe-west1-b/boutique-dev-worker-1";

const CASES: readonly Case[] = [
    workers("type", "0x5"),
    workers("type", "5.0"),
    workers("type", "1e3"),
    workers("type", " 5"),
    workers("type", "5 "),
    workers("type", "+5"),
    workers("type", ""),
    workers("type", "five"),
    workers("type", "05"),
    workers("type", "Infinity"),
    workers("unicode", "５"),
    workers("unicode", "٥"),
    workers("range", "-1"),
    workers("range", "99999999999999999999"),
    workers("range", "1001"),
    workers("range", "0", "refused"),
    workers("range", "9", "refused"),
    workers("size", "9".repeat(10_000)),
    workers("shell", "5;rm -rf /"),
    workers("shell", "$(id)"),
    workers("valid", "4", "accepted"),
    upSeconds("type", "0x5"),
    upSeconds("type", "1e3"),
    upSeconds("type", "30.5"),
    upSeconds("type", " 30"),
    upSeconds("type", ""),
    upSeconds("range", "-1"),
    upSeconds("range", "86401"),
    upSeconds("range", "99999999999999999999"),
    upSeconds("unicode", "３０"),
    upSeconds("shell", "`sleep 9`"),
    remove("shell", "a;b"),
    remove("shell", "$(id)"),
    remove("shell", "`reboot`"),
    remove("shell", "*"),
    remove("path", "../../etc/passwd"),
    remove("path", "/etc/passwd"),
    remove("path", "gce://"),
    remove("path", "gce://boutique-dev-000000/europe-west1-b/../../x"),
    remove("path", "gce://Not_A_Project/europe-west1-b/boutique-dev-worker-1"),
    remove("size", "w".repeat(100_000)),
    remove("size", `gce://boutique-dev-000000/europe-west1-b/${"w".repeat(5_000)}`),
    remove("unicode", "boutique-dev-wörker-1"),
    remove("unicode", "boutique-dev-worker-1\u202e"),
    remove("unicode", "boutique-dev-worker-1\u001b[2J"),
    remove("type", ""),
    remove("type", "-1"),
    remove("range", "boutique-dev-worker-9", "refused"),
    remove("range", "gce://other-project-01/europe-west1-b/boutique-dev-worker-1", "refused"),
    remove("valid", DEV_WORKER_1, "accepted"),
    stack("path", "../../etc/passwd"),
    stack("path", "org/boutique-platform/dev"),
    stack("path", ".."),
    stack("size", "s".repeat(101)),
    stack("unicode", "dév"),
    stack("shell", "dev;ls"),
    stack("type", ""),
    stack("type", "-dev"),
    usage("path", "--workers=4", "--state=/"),
    usage("type", "--workers=4", `--state=${path.join(__dirname, "scale-input.test.ts")}`),
    // Someone's JSON file is not a state file: refused, never written over.
    usage("type", "--workers=4", `--state=${SOMEONES_JSON}`),
    usage("type", "--workers=4", `--state=${UNREADABLE_SCALE}`),
];

/** The files a case names with --state: each must be byte-identical after a refusal. */
const givenStateFile = (item: Case): string | undefined => item.args.find((arg) => arg.startsWith("--state="))?.slice("--state=".length);

function describeCase({ kind, args, outcome }: Case): string {
    const shown = args.map((arg) => (arg.length > 48 ? `${JSON.stringify(arg.slice(0, 40))}... (${arg.length} chars)` : JSON.stringify(arg)));
    return `${outcome === "accepted" ? "accepts" : `${outcome === "usage" ? "refuses" : "the pool refuses"}`} ${kind} ${shown.join(" ")}`;
}

describe("npm run scale refuses bad input (issue 14)", function () {
    this.timeout(600_000);
    after(() => fs.rmSync(SANDBOX, { recursive: true, force: true }));
    const stateOf = (index: number) => path.join(SANDBOX, `state-${index}.json`);
    let results: ChildResult[] = [];
    const stateBefore: Record<string, string> = {};
    before(async () => {
        fs.mkdirSync(SANDBOX, { recursive: true });
        fs.copyFileSync(path.join(PROJECT_ROOT, "package.json"), SOMEONES_JSON);
        fs.writeFileSync(UNREADABLE_SCALE, JSON.stringify({ config: {}, deployed: { "boutique-platform:workerCount": "three" }, updates: [] }));
        for (const file of CASES.map(givenStateFile)) if (file !== undefined && fs.statSync(file).isFile()) stateBefore[file] = fs.readFileSync(file, "utf8");
        // Each case in its own state file: a usage refusal must not even create it.
        results = await inBatches(CASES, 3, (item) =>
            runScript("scaler/scale.ts", ["--dry-run", `--state=${stateOf(CASES.indexOf(item))}`, "--no-up", ...item.args]),
        );
    });

    CASES.forEach((item, index) => {
        it(describeCase(item), () => {
            const { status, stdout, stderr } = results[index];
            const context = `exit ${status}\n${stdout}\n${stderr.slice(0, 2000)}`;
            assert.doesNotMatch(stderr, STACK_FRAME, `no stack trace\n${context}`);
            // eslint-disable-next-line no-control-regex -- the check is that no raw ESC (terminal escape) reaches the output
            assert.doesNotMatch(stdout + stderr, /[\u001b\u202e]/, "no raw control or bidi characters");
            for (const value of item.args.map((arg) => arg.slice(arg.indexOf("=") + 1)).filter((value) => value.length > 64)) {
                assert.ok(!(stdout + stderr).includes(value.slice(0, 65)), "echoes at most 64 characters of a value");
            }
            if (item.outcome === "usage") {
                assert.equal(status, 2, context);
                assert.match(stderr, /usage: npm run scale/);
                const given = givenStateFile(item);
                if (given === undefined) assert.ok(!fs.existsSync(stateOf(index)), "a refused request writes nothing");
                else if (stateBefore[given] !== undefined)
                    assert.equal(fs.readFileSync(given, "utf8"), stateBefore[given], "the file --state names is untouched");
            } else if (item.outcome === "refused") {
                assert.equal(status, 1, context);
                assert.match(stderr, /^refused: /);
            } else {
                assert.equal(status, 0, context);
                assert.match(stdout, /^workers 3 -> [24], /);
            }
        });
    });
});
