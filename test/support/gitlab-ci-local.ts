import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";

/** The pinned gitlab-ci-local (a dev dependency; it needs rsync). */
export const GITLAB_CI_LOCAL = path.join(PROJECT_ROOT, "node_modules", ".bin", "gitlab-ci-local");

interface ListedJob {
    readonly name: string;
    readonly stage: string;
    readonly when: string;
}

/** `gitlab-ci-local --list-json` in `cwd`: validates the file against GitLab's schema and evaluates every job's rules. */
export function gitlabCiLocal(cwd: string, variables: Record<string, string> = {}, home = fs.mkdtempSync(path.join(os.tmpdir(), "gcl-home-"))) {
    const args = ["--list-json", ...Object.entries(variables).flatMap(([key, value]) => ["--variable", `${key}=${value}`])];
    const run = spawnSync(GITLAB_CI_LOCAL, args, { cwd, encoding: "utf8", env: { ...process.env, HOME: home, NO_COLOR: "1" }, timeout: 60_000 });
    fs.rmSync(home, { recursive: true, force: true });
    return run;
}

/** The jobs a pipeline with these variables would run (rules evaluated by gitlab-ci-local). */
export function pipeline(variables: Record<string, string>): string[] {
    const run = gitlabCiLocal(PROJECT_ROOT, variables);
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    // Warnings (e.g. about overriding predefined variables) come before the JSON.
    const jobs = JSON.parse(run.stdout.slice(run.stdout.indexOf("\n[") + 1)) as ListedJob[];
    return jobs.filter((job) => job.when !== "never").map((job) => job.name);
}

/** The default branch's protected pipeline (what GitLab sets on a push to, or a trigger of, the protected main). */
export const PROTECTED_MAIN = { CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main", CI_COMMIT_REF_PROTECTED: "true" };
