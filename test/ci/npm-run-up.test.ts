import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";

/** The real npm, found before the fakes go on PATH (the outer `npm run up` must be npm itself). */
const REAL_NPM = spawnSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();

/**
 * `npm run up` with `pulumi` and the inner `npm` (the keep-deployed step) replaced by recorders
 * on PATH: each call is a line of the log, in order. `failing` names a tool that exits 1.
 */
function npmRunUp(args: readonly string[], failing?: "npm" | "pulumi") {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "npm-run-up-"));
    const log = path.join(bin, "calls.log");
    for (const tool of ["pulumi", "npm"]) {
        fs.writeFileSync(path.join(bin, tool), `#!/usr/bin/env bash\necho "${tool} $*" >> "${log}"\n${tool === failing ? "exit 1\n" : ""}`, { mode: 0o755 });
    }
    const run = spawnSync(REAL_NPM, ["run", "--silent", "up", "--", ...args], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        encoding: "utf8",
    });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trimEnd().split("\n") : [];
    fs.rmSync(bin, { recursive: true, force: true });
    return { status: run.status, stderr: run.stderr, calls };
}

describe("npm run up (a manual pulumi up that keeps the autoscaler's scale, the same sequence as CI)", function () {
    this.timeout(60_000);
    before(function () {
        if (!REAL_NPM) this.skip();
    });

    it("keeps the deployed scale, then runs pulumi up on that stack with the flags given", () => {
        const run = npmRunUp(["--stack", "prod", "--diff", "--yes"]);
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(run.calls, ["npm run --silent scale -- --stack prod --keep-deployed", "pulumi up --stack prod --diff --yes"]);
        assert.deepEqual(npmRunUp(["--stack=staging"]).calls, ["npm run --silent scale -- --stack staging --keep-deployed", "pulumi up --stack staging"]);
    });

    it("runs no pulumi up when the keep-deployed step refuses (a lowered maxWorkers, no such stack)", () => {
        const run = npmRunUp(["--stack", "prod"], "npm");
        assert.notEqual(run.status, 0);
        assert.deepEqual(run.calls, ["npm run --silent scale -- --stack prod --keep-deployed"]);
    });

    it("has no default stack, and refuses a stack that is not a name, before any call", () => {
        const cases: [string[], RegExp][] = [
            [[], /give --stack <name> first/],
            [["--yes"], /give --stack <name> first/],
            [["--stack"], /give --stack <name> first/],
            [["--stack", "dev;ls"], /--stack: must be a stack name/],
        ];
        for (const [args, message] of cases) {
            const run = npmRunUp(args);
            assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
            assert.match(run.stderr, message);
            assert.match(run.stderr, /usage: npm run up -- --stack <name>/);
            assert.deepEqual(run.calls, [], args.join(" "));
        }
    });
});
