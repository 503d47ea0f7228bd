import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { CI_VARIABLES } from "../../components/ci/gitlab-federation";
import { PROJECT_ROOT } from "../fixtures";
import { pinnedNode, tagNamesPin } from "../support/node-pin";
import { GITLAB_CI_LOCAL, gitlabCiLocal, pipeline, PROTECTED_MAIN } from "../support/gitlab-ci-local";
import { requireTool } from "../support/tools";

const CI_FILE = path.join(PROJECT_ROOT, ".gitlab-ci.yml");

describe(".gitlab-ci.yml (checked with gitlab-ci-local)", function () {
    this.timeout(120_000);
    before(function () {
        requireTool(this, "git", "apt-get install git");
        if (spawnSync("git", ["rev-parse", "--git-dir"], { cwd: PROJECT_ROOT }).status !== 0) {
            console.log("      skipped: gitlab-ci-local needs a git clone, and this directory is not one");
            this.skip();
        }
    });

    it("validates against GitLab's schema, and a file with an invalid keyword does not", () => {
        const run = gitlabCiLocal(PROJECT_ROOT);
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stderr + run.stdout, /json schema validated/);
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gcl-bad-"));
        try {
            spawnSync("git", ["init", "-q", "-b", "main"], { cwd: scratch });
            fs.writeFileSync(path.join(scratch, ".gitlab-ci.yml"), 'test:\n  stage: test\n  when: sometimes\n  script: ["echo hi"]\n');
            const bad = gitlabCiLocal(scratch);
            assert.notEqual(bad.status, 0);
            assert.match(bad.stderr + bad.stdout, /when/);
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });

    it("a merge request runs test and a preview of every stack, and deploys nothing", () => {
        assert.deepEqual(pipeline({ CI_PIPELINE_SOURCE: "merge_request_event" }), ["test", "preview"]);
        // Protection does not matter to a preview (the read-mostly account).
        assert.deepEqual(pipeline({ CI_PIPELINE_SOURCE: "merge_request_event", CI_COMMIT_REF_PROTECTED: "false" }), ["test", "preview"]);
    });

    it("the default branch's protected pipeline runs test and the deploy (and builds the scaler image once its repository is set)", () => {
        assert.deepEqual(pipeline({ ...PROTECTED_MAIN, CI_PIPELINE_SOURCE: "push" }), ["test", "deploy"]);
        assert.deepEqual(pipeline({ ...PROTECTED_MAIN, CI_PIPELINE_SOURCE: "push", SCALER_IMAGE_REPOSITORY: "europe-west1-docker.pkg.dev/p/platform" }), [
            "test",
            "scaler-image",
            "deploy",
        ]);
        assert.deepEqual(
            pipeline({ CI_COMMIT_BRANCH: "feature/x", CI_DEFAULT_BRANCH: "main", CI_PIPELINE_SOURCE: "push" }),
            ["test"],
            "another branch only tests",
        );
    });

    it("deploy, scale and the scaler image (the deploy account's jobs) are absent unless the pipeline is the default branch's and protected", () => {
        const image = { SCALER_IMAGE_REPOSITORY: "europe-west1-docker.pkg.dev/p/platform" };
        const others: [string, Record<string, string>][] = [
            ["the default branch, not protected", { CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main", CI_COMMIT_REF_PROTECTED: "false" }],
            ["another protected branch", { CI_COMMIT_BRANCH: "release/1", CI_DEFAULT_BRANCH: "main", CI_COMMIT_REF_PROTECTED: "true" }],
            ["another branch, not protected", { CI_COMMIT_BRANCH: "feature/x", CI_DEFAULT_BRANCH: "main", CI_COMMIT_REF_PROTECTED: "false" }],
        ];
        // One pipeline source of each kind per ref (each gitlab-ci-local run takes seconds).
        for (const [name, ref] of others) {
            assert.deepEqual(pipeline({ ...ref, ...image, CI_PIPELINE_SOURCE: "push" }), ["test"], `${name}, push`);
            assert.deepEqual(pipeline({ ...ref, WORKERS: "5", CI_PIPELINE_SOURCE: "api" }), [], `${name}, api with WORKERS`);
        }
        assert.deepEqual(pipeline({ ...others[0][1], ...image, CI_PIPELINE_SOURCE: "web" }), ["test"], "the default branch, not protected, from the web form");
    });

    it("names no stack of its own: STACK comes from the project's CI/CD variables (no default, no matrix of the example stack)", () => {
        const file = parse(fs.readFileSync(CI_FILE, "utf8")) as Record<string, Record<string, unknown>>;
        assert.equal(file.variables.STACK, undefined, "a default STACK");
        for (const job of ["preview", "deploy", "scale"]) {
            assert.equal(file[job].parallel, undefined, `${job} has a matrix`);
            assert.deepEqual(file[job].script, [`.ci/pulumi-job ${job === "deploy" ? "up" : job} "\${STACK:-}"`], job);
        }
        assert.doesNotMatch(fs.readFileSync(CI_FILE, "utf8"), /STACK:\s*\[?\s*dev\b|pulumi-job \w+ dev\b/, "the example stack is named");
    });

    it("the scaler image is built for the nodes' architecture (amd64), whatever the runner's", () => {
        const file = parse(fs.readFileSync(CI_FILE, "utf8")) as Record<string, { script: string[] }>;
        const builds = file["scaler-image"].script.filter((line) => /\bbuildah build\b/.test(line));
        assert.equal(builds.length, 1);
        assert.match(builds[0], /--platform linux\/amd64(\s|$)/);
    });

    it("the scale job runs only in a pipeline of the protected default branch triggered with WORKERS, and alone", () => {
        for (const source of ["api", "trigger", "web", "pipeline"])
            assert.deepEqual(pipeline({ ...PROTECTED_MAIN, WORKERS: "5", CI_PIPELINE_SOURCE: source }), ["scale"], source);
        assert.deepEqual(pipeline({ ...PROTECTED_MAIN, WORKERS: "5", CI_PIPELINE_SOURCE: "push" }), [], "a push never scales");
        assert.ok(!pipeline({ ...PROTECTED_MAIN, CI_PIPELINE_SOURCE: "api" }).includes("scale"), "an API pipeline without WORKERS does not scale");
    });

    describe("the deploy account's jobs, run by gitlab-ci-local (shell executor, pulumi and npm faked)", () => {
        const PROVIDER = "projects/123456789012/locations/global/workloadIdentityPools/gitlab-a1b2c3/providers/gitlab";
        const b64url = (text: string) => Buffer.from(text).toString("base64url");
        const now = Math.floor(Date.now() / 1000);
        const ID_TOKEN = [
            { alg: "RS256", typ: "JWT" },
            { iss: "https://gitlab.example.com", aud: `https://iam.googleapis.com/${PROVIDER}`, exp: now + 3600 },
            "sig",
        ]
            .map((part) => b64url(typeof part === "string" ? part : JSON.stringify(part)))
            .join(".");
        let scratch: string;

        /** A copy of .gitlab-ci.yml and .ci/ in a git repository of its own, with recorders for pulumi and npm where the job looks for them. */
        before(function () {
            scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gcl-jobs-"));
            const git = (...args: string[]) =>
                spawnSync("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", ...args], { cwd: scratch, encoding: "utf8" });
            git("init", "-q", "-b", "main");
            fs.copyFileSync(CI_FILE, path.join(scratch, ".gitlab-ci.yml"));
            fs.cpSync(path.join(PROJECT_ROOT, ".ci"), path.join(scratch, ".ci"), { recursive: true });
            // install-pulumi finds the "installed" CLI; the recorders log each call.
            const cli = path.join(scratch, ".pulumi-home", "cli", "3.248.0", "pulumi");
            fs.mkdirSync(cli, { recursive: true });
            for (const tool of ["pulumi", "npm"])
                fs.writeFileSync(path.join(cli, tool), `#!/usr/bin/env bash\necho "${tool} $*" >> "${scratch}/calls.log"\n`, { mode: 0o755 });
            fs.mkdirSync(path.join(scratch, "node_modules", ".bin"), { recursive: true });
            fs.writeFileSync(path.join(scratch, "node_modules", ".bin", "tsx"), "#!/bin/sh\n", { mode: 0o755 });
            git("add", "-A");
            git("commit", "-q", "-m", "jobs");
        });
        after(() => fs.rmSync(scratch, { recursive: true, force: true }));

        /** Runs one job of a protected default-branch pipeline; returns its output and the pulumi/npm calls it made. */
        function runJob(job: string, variables: Record<string, string>) {
            const log = path.join(scratch, "calls.log");
            fs.rmSync(log, { force: true });
            const all = {
                ...PROTECTED_MAIN,
                // Every job has an image, so gitlab-ci-local would use /builds: keep the job in the scratch copy.
                CI_BUILDS_DIR: path.join(scratch, "builds"),
                PULUMI_HOME: path.join(scratch, ".pulumi-home"),
                GITLAB_OIDC_TOKEN: ID_TOKEN,
                CI_SERVER_URL: "https://gitlab.example.com",
                GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
                GCP_DEPLOY_SERVICE_ACCOUNT: "boutique-ci-deploy@boutique-dev-000000.iam.gserviceaccount.com",
                PULUMI_BACKEND_URL: "gs://boutique-dev-000000-pulumi-state",
                PULUMI_SECRETS_PROVIDER: "gcpkms://projects/boutique-dev-000000/locations/europe-west1/keyRings/boutique-pulumi/cryptoKeys/stack-secrets",
                STACK: "prod",
                ...variables,
            };
            const args = ["--force-shell-executor", "--no-color", ...Object.entries(all).flatMap(([key, value]) => ["--variable", `${key}=${value}`]), job];
            const home = fs.mkdtempSync(path.join(os.tmpdir(), "gcl-home-"));
            const run = spawnSync(GITLAB_CI_LOCAL, args, {
                cwd: scratch,
                encoding: "utf8",
                env: { ...process.env, HOME: home, NO_COLOR: "1" },
                timeout: 120_000,
            });
            fs.rmSync(home, { recursive: true, force: true });
            const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trimEnd().split("\n") : [];
            return { status: run.status, output: `${run.stdout}${run.stderr}`, calls };
        }

        it("deploy runs the real job to pulumi up when nothing is wrong (the harness is real)", () => {
            const job = runJob("deploy", {});
            assert.equal(job.status, 0, job.output);
            assert.equal(job.calls.at(-1), "pulumi up --stack prod --non-interactive --yes --diff --policy-pack policy", job.output);
        });

        it("deploy and scale without the STACK variable refuse, saying to set it, before any Pulumi call", () => {
            for (const [name, variables] of [
                ["deploy", {}],
                ["scale", { WORKERS: "3", CI_PIPELINE_SOURCE: "api" }],
            ] as const) {
                const job = runJob(name, { ...variables, STACK: "" });
                assert.notEqual(job.status, 0, job.output);
                assert.match(job.output, /pulumi-job: no stack: set the CI\/CD variable STACK/);
                assert.deepEqual(job.calls, [], name);
            }
        });

        it("deploy and scale refuse a variable only tests may set, in the script, before any Pulumi call", () => {
            const cases: [string, Record<string, string>, RegExp][] = [
                ["deploy", { BOUTIQUE_TEST_ROOT: "/tmp/root" }, /pulumi-job: BOUTIQUE_TEST_ROOT is set: a variable only tests may set; up refuses it/],
                [
                    "deploy",
                    { GOOGLE_STS_URL: "https://sts.googleapis.com/v1/token" },
                    /pulumi-job: GOOGLE_STS_URL is set: a variable only tests may set; up refuses it/,
                ],
                [
                    "scale",
                    { WORKERS: "3", CI_PIPELINE_SOURCE: "api", BOUTIQUE_TEST_WAIT_SECONDS: "0" },
                    /pulumi-job: BOUTIQUE_TEST_WAIT_SECONDS is set: a variable only tests may set; scale refuses it/,
                ],
            ];
            for (const [name, variables, refusal] of cases) {
                const job = runJob(name, variables);
                assert.notEqual(job.status, 0, `${name} ${JSON.stringify(variables)}: ${job.output}`);
                assert.match(job.output, refusal);
                assert.deepEqual(job.calls, [], `${name}: Pulumi was called`);
            }
        });

        it("a refusal by .ci/google-auth stops the job there: no job goes on without its credentials", () => {
            const job = runJob("deploy", { GOOGLE_STS_URL: "https://evil.example/v1/token" });
            assert.notEqual(job.status, 0, job.output);
            assert.match(job.output, /google-auth: GOOGLE_STS_URL is set and is not Google's endpoint/);
            assert.doesNotMatch(job.output, /\$ \.ci\/pulumi-job/, "the script ran after the credentials were refused");
            assert.deepEqual(job.calls, []);
        });
    });

    describe("Google access: id_tokens through STS, never a key", () => {
        const expanded = () => {
            gitlabCiLocal(PROJECT_ROOT);
            return parse(fs.readFileSync(path.join(PROJECT_ROOT, ".gitlab-ci-local", "expanded-gitlab-ci.yml"), "utf8")) as Record<
                string,
                Record<string, unknown>
            >;
        };

        it("every job that acts as a service account gets an id_token for the provider and exchanges it with .ci/google-auth", () => {
            const jobs = Object.entries(expanded()).filter(([, job]) => typeof job === "object" && job !== null && "script" in job);
            const google = jobs.filter(([, job]) => JSON.stringify(job).includes("GCP_SERVICE_ACCOUNT"));
            assert.deepEqual(google.map(([name]) => name).sort(), ["deploy", "preview", "scale", "scaler-image"]);
            for (const [name, job] of google) {
                assert.deepEqual(job.id_tokens, { GITLAB_OIDC_TOKEN: { aud: "https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER" } }, name);
                assert.match(JSON.stringify([job.before_script, job.script]), /\.ci\/google-auth (credentials|access-token)/, name);
            }
            for (const [name, job] of google) {
                // .ci/google-auth reads and writes JSON with node: the image has it, or the job installs it first.
                const image = String((job.image as { name?: string } | undefined)?.name);
                const steps = JSON.stringify(job.before_script ?? []);
                assert.ok(image.startsWith("node:") || /dnf -y .*install .*nodejs/.test(steps), `${name} (${image}): no node for .ci/google-auth`);
            }
            const [, preview] = google.find(([name]) => name === "preview") ?? [];
            assert.deepEqual(preview?.variables, { GCP_SERVICE_ACCOUNT: "$GCP_PREVIEW_SERVICE_ACCOUNT" }, "merge requests preview as the read-mostly account");
        });

        it("every job on a node image runs the pinned Node.js (.node-version): the test job's .ci/run, the Pulumi jobs' program", () => {
            const jobs = Object.entries(expanded()).filter(([, job]) => typeof job === "object" && job !== null && "script" in job);
            const onNode = jobs.filter(([, job]) => String((job.image as { name?: string } | undefined)?.name).startsWith("node:"));
            assert.deepEqual(onNode.map(([name]) => name).sort(), ["deploy", "preview", "release", "scale", "test"]);
            for (const [name, job] of onNode) {
                const image = String((job.image as { name?: string }).name);
                const tag = /^node:([\d.]+)-bookworm$/.exec(image);
                assert.ok(tag !== null, `${name}: ${image} is a node:<version>-bookworm image`);
                assert.ok(tagNamesPin(tag[1]), `${name}: ${image} is not Node.js ${pinnedNode().version}`);
                // major.minor at least: CI tests on the minor .ci/run installs, with the image's patch releases.
                assert.ok(tag[1].split(".").length >= 2, `${name}: ${image} names a minor`);
            }
        });

        it("no key, key file or long-lived Google secret appears anywhere in CI", () => {
            const text = [CI_FILE, ...fs.readdirSync(path.join(PROJECT_ROOT, ".ci")).map((file) => path.join(PROJECT_ROOT, ".ci", file))]
                .map((file) => fs.readFileSync(file, "utf8"))
                .join("\n");
            for (const pattern of [/activate-service-account/, /key[-_]?file/i, /GOOGLE_CREDENTIALS/, /"private_key"/, /service_account"/]) {
                assert.doesNotMatch(text, pattern);
            }
        });

        it("reads exactly the variables the bootstrap stack outputs, and pins the Pulumi CLI to @pulumi/pulumi", () => {
            const text = fs.readFileSync(CI_FILE, "utf8");
            const scripts = ["google-auth", "pulumi-job"].map((script) => fs.readFileSync(path.join(PROJECT_ROOT, ".ci", script), "utf8")).join("\n");
            const read = new Set(
                [...`${text}${scripts}`.matchAll(/\$\{?([A-Z][A-Z0-9_]+)/g)]
                    .map((match) => match[1])
                    .filter((name) => /^(GCP_|PULUMI_BACKEND|PULUMI_SECRETS|SCALER_IMAGE)/.test(name)),
            );
            assert.deepEqual([...read].filter((name) => name !== "GCP_SERVICE_ACCOUNT").sort(), [...CI_VARIABLES].sort());
            const sdk = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies[
                "@pulumi/pulumi"
            ];
            assert.equal((parse(text) as { variables: Record<string, string> }).variables.PULUMI_VERSION, sdk);
        });
    });
});
