import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { chartImageName } from "../../config/boutique-images";
import { PROJECT_ROOT } from "../fixtures";
import { DIGEST, releaseFileText } from "../release/release-file";
import { ArgvRecorder } from "../support/argv-recorder";
import { GITLAB_CI_LOCAL, pipeline, PROTECTED_MAIN } from "../support/gitlab-ci-local";
import { issue, testCa } from "../support/test-pki";
import { requireTool } from "../support/tools";

const RELEASE_FILE = "gitops/online-boutique/kustomization.yaml";
const FRONTEND = { RELEASE_SERVICE: "frontend", RELEASE_IMAGE: `registry.example.com/shop/frontend@${DIGEST}` };
/** A trigger of the protected default branch by the app's pipeline: what GitLab sets, and what the app passes. */
const RELEASE_TRIGGER = { ...PROTECTED_MAIN, CI_PIPELINE_SOURCE: "trigger", ...FRONTEND };

function git(cwd: string, ...args: string[]): string {
    const run = spawnSync("git", ["-c", "user.email=dev@example.com", "-c", "user.name=dev", ...args], { cwd, encoding: "utf8" });
    assert.equal(run.status, 0, `git ${args.join(" ")}: ${run.stderr}`);
    return run.stdout.trim();
}

/**
 * A scratch project that can run the release job: .gitlab-ci.yml, .ci/, release/, config/ and
 * package.json from here (node_modules a symlink to ours), the release file with all 11 entries,
 * and `origin`, a bare repository reached over file:// that takes push options and logs them.
 */
function releaseRepo() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "gcl-release-"));
    const bare = path.join(root, "origin.git");
    const work = path.join(root, "work");
    git(root, "init", "-q", "--bare", "-b", "main", bare);
    git(bare, "config", "receive.advertisePushOptions", "true");
    const options = path.join(root, "push-options.log");
    fs.writeFileSync(
        path.join(bare, "hooks", "post-receive"),
        `#!/usr/bin/env bash\nfor ((i = 0; i < \${GIT_PUSH_OPTION_COUNT:-0}; i++)); do o="GIT_PUSH_OPTION_$i"; echo "\${!o}" >> "${options}"; done\n`,
        { mode: 0o755 },
    );
    fs.mkdirSync(work);
    git(work, "init", "-q", "-b", "main");
    for (const file of [".gitlab-ci.yml", "package.json", "package-lock.json", "tsconfig.json"])
        fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(work, file));
    for (const dir of [".ci", "release", "config"]) fs.cpSync(path.join(PROJECT_ROOT, dir), path.join(work, dir), { recursive: true });
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(work, "node_modules"));
    fs.writeFileSync(path.join(work, ".gitignore"), "node_modules\n.gitlab-ci-local/\n.npm/\n");
    fs.mkdirSync(path.dirname(path.join(work, RELEASE_FILE)), { recursive: true });
    fs.writeFileSync(path.join(work, RELEASE_FILE), releaseFileText());
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "the project");
    git(work, "remote", "add", "origin", `file://${bare}`);
    // gitlab-ci-local reads the project's group and name from this one (origin is a path): the script never does.
    git(work, "remote", "add", "gcl-origin", "https://gitlab.example.com/platform/boutique.git");
    git(work, "push", "-q", "origin", "main");
    const pushOptions = () => (fs.existsSync(options) ? fs.readFileSync(options, "utf8").trimEnd().split("\n") : []);
    return { root, bare, work, pushOptions, tip: () => git(bare, "rev-parse", "main"), cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** What a push did to the bare repository: its commits, the files they touch, and the -/+ lines of the diff. */
function pushed(bare: string, from: string, to: string) {
    const commits = Number(git(bare, "rev-list", "--count", `${from}..${to}`));
    const files = git(bare, "diff", "--name-only", from, to).split("\n").filter(Boolean);
    const diff = git(bare, "diff", "--unified=0", from, to).split("\n");
    const removed = diff.filter((line) => line.startsWith("-") && !line.startsWith("---")).map((line) => line.slice(1));
    const added = diff.filter((line) => line.startsWith("+") && !line.startsWith("+++")).map((line) => line.slice(1));
    const hunks = diff.filter((line) => line.startsWith("@@"));
    return { commits, files, removed, added, hunks };
}

describe("the release pipeline (.gitlab-ci.yml `release`, .ci/release-image)", function () {
    this.timeout(300_000);
    before(function () {
        requireTool(this, "git", "apt-get install git");
        if (spawnSync("git", ["rev-parse", "--git-dir"], { cwd: PROJECT_ROOT }).status !== 0) {
            console.log("      skipped: gitlab-ci-local needs a git clone, and this directory is not one");
            this.skip();
        }
    });

    it("a release trigger of the protected default branch runs the release job and nothing else (no test, deploy or scale)", () => {
        for (const source of ["trigger", "api", "pipeline", "web"])
            assert.deepEqual(pipeline({ ...RELEASE_TRIGGER, CI_PIPELINE_SOURCE: source }), ["release"], source);
        assert.deepEqual(
            pipeline({ ...RELEASE_TRIGGER, WORKERS: "5", SCALER_IMAGE_REPOSITORY: "europe-west1-docker.pkg.dev/p/platform" }),
            ["release"],
            "with WORKERS too",
        );
    });

    it("no release job on a merge request, a push, another branch or an unprotected default branch, nor without RELEASE_IMAGE (RELEASE_SERVICE alone runs no job at all)", () => {
        assert.deepEqual(pipeline({ ...FRONTEND, CI_PIPELINE_SOURCE: "merge_request_event" }), [], "a merge request with RELEASE_IMAGE");
        assert.deepEqual(pipeline({ ...RELEASE_TRIGGER, CI_PIPELINE_SOURCE: "push" }), [], "a push never releases");
        assert.deepEqual(pipeline({ ...RELEASE_TRIGGER, CI_COMMIT_REF_PROTECTED: "false" }), [], "the default branch, not protected");
        assert.deepEqual(pipeline({ ...RELEASE_TRIGGER, CI_COMMIT_BRANCH: "release/1" }), [], "another protected branch");
        assert.deepEqual(pipeline({ ...PROTECTED_MAIN, CI_PIPELINE_SOURCE: "trigger", RELEASE_SERVICE: "frontend" }), [], "RELEASE_SERVICE alone");
        assert.deepEqual(pipeline({ ...PROTECTED_MAIN, CI_PIPELINE_SOURCE: "push" }), ["test", "deploy"], "the branch's own pipeline is unchanged");
    });

    describe("the release job, run by gitlab-ci-local (shell executor) against a bare repository as origin", () => {
        let repo: ReturnType<typeof releaseRepo>;
        beforeEach(() => (repo = releaseRepo()));
        afterEach(() => repo.cleanup());

        function runRelease(variables: Record<string, string>) {
            const all = { ...RELEASE_TRIGGER, CI_BUILDS_DIR: path.join(repo.root, "builds"), ...variables };
            const args = [
                "--force-shell-executor",
                "--no-color",
                ...Object.entries(all).flatMap(([key, value]) => ["--variable", `${key}=${value}`]),
                "release",
            ];
            const home = fs.mkdtempSync(path.join(os.tmpdir(), "gcl-home-"));
            const run = spawnSync(GITLAB_CI_LOCAL, args, {
                cwd: repo.work,
                encoding: "utf8",
                env: { ...process.env, HOME: home, NO_COLOR: "1" },
                timeout: 240_000,
            });
            fs.rmSync(home, { recursive: true, force: true });
            return { status: run.status, output: `${run.stdout}${run.stderr}` };
        }

        it("pushes exactly one commit, of the release file only, changing only the frontend entry's lines, with -o ci.skip; again, it changes nothing", () => {
            const before = repo.tip();
            const job = runRelease({});
            assert.equal(job.status, 0, job.output);
            const after = repo.tip();
            const change = pushed(repo.bare, before, after);
            console.log(
                `      release job: ${change.commits} commit, ${change.files.length} file (${change.files.join(", ")}), ` +
                    `${change.removed.length} lines removed and ${change.added.length} added in ${change.hunks.length} hunk(s): ${change.hunks.join(" ")}`,
            );
            assert.equal(change.commits, 1);
            assert.deepEqual(change.files, [RELEASE_FILE]);
            assert.deepEqual(change.removed, [`    newName: ${chartImageName("frontend")}`, "    newTag: v0.10.6"]);
            assert.deepEqual(change.added, ["    newName: registry.example.com/shop/frontend", `    digest: ${DIGEST}`]);
            // The two lines right after the frontend entry's name, and nowhere else.
            const nameLine =
                releaseFileText()
                    .split("\n")
                    .indexOf(`  - name: ${chartImageName("frontend")}`) + 1;
            assert.deepEqual(change.hunks, [`@@ -${nameLine + 1},2 +${nameLine + 1},2 @@ images:`]);
            assert.equal(
                git(repo.bare, "log", "-1", "--format=%s|%an <%ae>|%cn", after),
                `release frontend ${FRONTEND.RELEASE_IMAGE}|boutique release bot <release-bot@boutique-platform.invalid>|boutique release bot`,
            );
            assert.deepEqual(repo.pushOptions(), ["ci.skip"]);

            const again = runRelease({});
            assert.equal(again.status, 0, again.output);
            assert.match(again.output, /already names that image on main: nothing to release/);
            assert.equal(repo.tip(), after);
        });

        it("a hostile RELEASE_IMAGE (a command substitution, a newline) fails the job and pushes nothing", () => {
            const before = repo.tip();
            const pwned = path.join(repo.root, "pwned");
            for (const image of [`registry.example.com/shop/frontend:v1$(touch ${pwned})`, "registry.example.com/shop/frontend:v1\nnewTag: v666"]) {
                const job = runRelease({ RELEASE_IMAGE: image });
                assert.notEqual(job.status, 0, job.output);
                assert.match(job.output, /--image ".*"(\.\.\. \(\d+ characters\))?: must be an image reference with a tag or digest/);
                assert.equal(repo.tip(), before, JSON.stringify(image));
                assert.ok(!fs.existsSync(pwned), "the image reference ran a command");
            }
            for (const [variables, refusal] of [
                [{ RELEASE_SERVICE: "" }, /release-image: RELEASE_SERVICE is not set/],
                [{ RELEASE_SERVICE: "frontend;id" }, /--service "frontend;id": not a service of the shop/],
                [{ GITOPS_PATH: "../elsewhere" }, /release-image: GITOPS_PATH = "\.\.\/elsewhere": must be a folder of this repository/],
                [{ GITOPS_PATH: "gitops/other" }, /release-image: gitops\/other\/kustomization\.yaml is not in this repository/],
            ] as const) {
                const job = runRelease(variables);
                assert.notEqual(job.status, 0, job.output);
                assert.match(job.output, refusal);
            }
            assert.equal(repo.tip(), before);
            console.log(`      hostile releases: ${Number(git(repo.bare, "rev-list", "--count", `${before}..${repo.tip()}`))} commits pushed`);
        });

        it("a push that lost a race to another release is redone on the branch's new tip: one commit, both releases kept", () => {
            // The adservice release lands first, from another clone.
            const other = path.join(repo.root, "other");
            git(repo.root, "clone", "-q", `file://${repo.bare}`, other);
            const otherFile = path.join(other, RELEASE_FILE);
            fs.writeFileSync(otherFile, fs.readFileSync(otherFile, "utf8").replace(/(adservice\n {4}newTag: )v0\.10\.6/, "$1v0.10.7"));
            git(other, "commit", "-q", "-am", "release adservice v0.10.7");
            git(other, "push", "-q", "origin", "main");
            const before = repo.tip();

            const job = runRelease({});
            assert.equal(job.status, 0, job.output);
            assert.match(job.output, /main moved since this pipeline's commit; releasing again on its tip \(attempt 2 of 5\)/);
            const change = pushed(repo.bare, before, repo.tip());
            console.log(
                `      race: ${change.commits} commit on top of the other release, ${change.files.length} file, -${change.removed.length} +${change.added.length} lines`,
            );
            assert.equal(change.commits, 1);
            assert.equal(git(repo.bare, "rev-parse", `${repo.tip()}^`), before, "not on top of the other release");
            assert.deepEqual(change.added, ["    newName: registry.example.com/shop/frontend", `    digest: ${DIGEST}`]);
            assert.match(git(repo.bare, "show", `main:${RELEASE_FILE}`), /adservice\n {4}newTag: v0\.10\.7\n/);
        });

        it("a push refused while the branch has not moved is no race: the job fails at once, saying what to allow", () => {
            fs.writeFileSync(
                path.join(repo.bare, "hooks", "pre-receive"),
                "#!/bin/sh\necho 'You are not allowed to push code to this project.' >&2\nexit 1\n",
                {
                    mode: 0o755,
                },
            );
            const before = repo.tip();
            const job = runRelease({});
            assert.notEqual(job.status, 0, job.output);
            assert.match(job.output, /the push to main was refused and the branch has not moved: allow the job token to push/);
            assert.equal(repo.tip(), before);
        });

        it("refuses outside the protected default branch, in the script itself", () => {
            const job = runRelease({ CI_COMMIT_REF_PROTECTED: "false" });
            // The job's rules leave it out of such a pipeline; gitlab-ci-local runs a named job anyway, so the script answers.
            assert.notEqual(job.status, 0, job.output);
            assert.match(job.output, /release-image: runs only in the default branch's protected pipelines/);
        });
    });

    describe("the job token over https: only through git's credential helper", () => {
        it("the server gets the job token as the password, the runner's URL credentials are dropped, and no argv, log or .git/config holds it", async () => {
            const repo = releaseRepo();
            const recorder = new ArgvRecorder();
            const ca = testCa("release test CA");
            const leaf = issue(ca, "127.0.0.1", { server: ["127.0.0.1"] });
            const caFile = path.join(repo.root, "ca.pem");
            fs.writeFileSync(caFile, ca.certPem);
            const seen: { url: string; authorization?: string }[] = [];
            // GitLab's answers to a push without and with credentials that may not push.
            const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (request, response) => {
                seen.push({ url: request.url ?? "", authorization: request.headers.authorization });
                if (request.headers.authorization === undefined) response.writeHead(401, { "WWW-Authenticate": 'Basic realm="GitLab"' });
                else response.writeHead(403);
                response.end();
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const TOKEN = "glcbt-64_job-token-value-0123456789";
            try {
                const { port } = server.address() as AddressInfo;
                // How an older runner leaves origin: its own token in the URL.
                git(repo.work, "remote", "set-url", "origin", `https://gitlab-ci-token:stale-runner-token@127.0.0.1:${port}/platform/boutique.git`);
                const home = path.join(repo.root, "home");
                fs.mkdirSync(home);
                const env = {
                    ...recorder.env({ fakeDirs: [] }),
                    HOME: home,
                    CI: "true",
                    CI_JOB_TOKEN: TOKEN,
                    ...PROTECTED_MAIN,
                    ...FRONTEND,
                    GIT_SSL_CAINFO: caFile,
                };
                const run = await new Promise<{ status: number | null; output: string }>((resolve) => {
                    const child = spawn(path.join(repo.work, ".ci", "release-image"), [], { cwd: repo.work, env });
                    let output = "";
                    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
                    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
                    child.on("close", (status) => resolve({ status, output }));
                });
                assert.notEqual(run.status, 0, run.output);
                const basic = `Basic ${Buffer.from(`gitlab-ci-token:${TOKEN}`).toString("base64")}`;
                assert.ok(
                    seen.some((request) => request.authorization === basic),
                    JSON.stringify(seen.map((request) => ({ ...request, authorization: request.authorization?.slice(0, 12) }))),
                );
                assert.ok(
                    seen.every((request) => request.authorization === undefined || request.authorization === basic),
                    "another credential was sent",
                );
                assert.ok(seen[0].url.startsWith("/platform/boutique.git/info/refs?service=git-receive-pack"), seen[0].url);
                const secrets = [TOKEN, Buffer.from(`gitlab-ci-token:${TOKEN}`).toString("base64"), "stale-runner-token"];
                const argv = recorder.records().flatMap((record) => [record.tool, ...record.args]);
                assert.ok(
                    recorder.records().some((record) => record.tool === "git" && record.args[0] === "push"),
                    "git push was not recorded",
                );
                console.log(
                    `      https push: ${seen.length} requests, ${seen.filter((request) => request.authorization).length} with the job token; ${recorder.records().length} processes recorded, none with it in argv`,
                );
                for (const secret of secrets) {
                    assert.ok(!argv.some((arg) => arg.includes(secret)), `${secret.slice(0, 8)}... in a process's argv`);
                    assert.ok(!run.output.includes(secret), `${secret.slice(0, 8)}... in the job's output`);
                }
                assert.ok(!fs.readFileSync(path.join(repo.work, ".git", "config"), "utf8").includes(TOKEN), "the token in .git/config");
                assert.ok(!fs.existsSync(path.join(home, ".git-credentials")), "a credential store was written");
            } finally {
                server.close();
                recorder.cleanup();
                repo.cleanup();
            }
        });
    });
});
