import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { CI_VARIABLES } from "../components/gitlab-federation";
import { PROJECT_ROOT } from "./fixtures";
import { requireTool } from "./support/tools";

const GITLAB_CI_LOCAL = path.join(PROJECT_ROOT, "node_modules", ".bin", "gitlab-ci-local");
const CI_FILE = path.join(PROJECT_ROOT, ".gitlab-ci.yml");

interface ListedJob {
    readonly name: string;
    readonly stage: string;
    readonly when: string;
}

/** `gitlab-ci-local --list-json` in `cwd`: validates the file against GitLab's schema and evaluates every job's rules. */
function gitlabCiLocal(cwd: string, variables: Record<string, string> = {}, home = fs.mkdtempSync(path.join(os.tmpdir(), "gcl-home-"))) {
    const args = ["--list-json", ...Object.entries(variables).flatMap(([key, value]) => ["--variable", `${key}=${value}`])];
    const run = spawnSync(GITLAB_CI_LOCAL, args, { cwd, encoding: "utf8", env: { ...process.env, HOME: home, NO_COLOR: "1" }, timeout: 60_000 });
    fs.rmSync(home, { recursive: true, force: true });
    return run;
}

/** The jobs a pipeline with these variables would run (rules evaluated by gitlab-ci-local). */
function pipeline(variables: Record<string, string>): string[] {
    const run = gitlabCiLocal(PROJECT_ROOT, variables);
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    // Warnings (e.g. about overriding predefined variables) come before the JSON.
    const jobs = JSON.parse(run.stdout.slice(run.stdout.indexOf("\n[") + 1)) as ListedJob[];
    return jobs.filter((job) => job.when !== "never").map((job) => job.name);
}

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
            fs.writeFileSync(path.join(scratch, ".gitlab-ci.yml"), "test:\n  stage: test\n  when: sometimes\n  script: [\"echo hi\"]\n");
            const bad = gitlabCiLocal(scratch);
            assert.notEqual(bad.status, 0);
            assert.match(bad.stderr + bad.stdout, /when/);
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });

    it("a merge request runs test and a preview of every stack, and deploys nothing", () => {
        assert.deepEqual(pipeline({ CI_PIPELINE_SOURCE: "merge_request_event" }), ["test", "preview: [dev]"]);
    });

    it("the default branch runs test and the deploy (and builds the scaler image once its repository is set)", () => {
        assert.deepEqual(pipeline({ CI_COMMIT_BRANCH: "main", CI_PIPELINE_SOURCE: "push" }), ["test", "deploy: [dev]"]);
        assert.deepEqual(pipeline({ CI_COMMIT_BRANCH: "main", CI_PIPELINE_SOURCE: "push", SCALER_IMAGE_REPOSITORY: "europe-west1-docker.pkg.dev/p/platform" }), ["test", "scaler-image", "deploy: [dev]"]);
        assert.deepEqual(pipeline({ CI_COMMIT_BRANCH: "feature/x", CI_PIPELINE_SOURCE: "push" }), ["test"], "another branch only tests");
    });

    it("the scale job runs only in a pipeline triggered with WORKERS, and alone", () => {
        for (const source of ["api", "trigger", "web"]) assert.deepEqual(pipeline({ WORKERS: "5", CI_PIPELINE_SOURCE: source }), ["scale"], source);
        assert.deepEqual(pipeline({ WORKERS: "5", CI_PIPELINE_SOURCE: "push" }), [], "a push never scales");
        assert.ok(!pipeline({ CI_PIPELINE_SOURCE: "api" }).includes("scale"), "an API pipeline without WORKERS does not scale");
    });

    describe("Google access: id_tokens through STS, never a key", () => {
        const expanded = () => {
            gitlabCiLocal(PROJECT_ROOT);
            return parse(fs.readFileSync(path.join(PROJECT_ROOT, ".gitlab-ci-local", "expanded-gitlab-ci.yml"), "utf8")) as Record<string, Record<string, unknown>>;
        };

        it("every job that acts as a service account gets an id_token for the provider and exchanges it with .ci/google-auth", () => {
            const jobs = Object.entries(expanded()).filter(([, job]) => typeof job === "object" && job !== null && "script" in job);
            const google = jobs.filter(([, job]) => JSON.stringify(job).includes("GCP_SERVICE_ACCOUNT"));
            assert.deepEqual(google.map(([name]) => name).sort(), ["deploy", "preview", "scale", "scaler-image"]);
            for (const [name, job] of google) {
                assert.deepEqual(job.id_tokens, { GITLAB_OIDC_TOKEN: { aud: "https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER" } }, name);
                assert.match(JSON.stringify([job.before_script, job.script]), /\.ci\/google-auth (credentials|access-token)/, name);
            }
            const [, preview] = google.find(([name]) => name === "preview") ?? [];
            assert.deepEqual(preview?.variables, { GCP_SERVICE_ACCOUNT: "$GCP_PREVIEW_SERVICE_ACCOUNT" }, "merge requests preview as the read-mostly account");
        });

        it("no key, key file or long-lived Google secret appears anywhere in CI", () => {
            const text = [CI_FILE, ...fs.readdirSync(path.join(PROJECT_ROOT, ".ci")).map((file) => path.join(PROJECT_ROOT, ".ci", file))].map((file) => fs.readFileSync(file, "utf8")).join("\n");
            for (const pattern of [/activate-service-account/, /key[-_]?file/i, /GOOGLE_CREDENTIALS/, /"private_key"/, /service_account"/]) {
                assert.doesNotMatch(text, pattern);
            }
        });

        it("reads exactly the variables the bootstrap stack outputs, and pins the Pulumi CLI to @pulumi/pulumi", () => {
            const text = fs.readFileSync(CI_FILE, "utf8");
            const scripts = ["google-auth", "pulumi-job"].map((script) => fs.readFileSync(path.join(PROJECT_ROOT, ".ci", script), "utf8")).join("\n");
            const read = new Set([...`${text}${scripts}`.matchAll(/\$\{?([A-Z][A-Z0-9_]+)/g)].map((match) => match[1]).filter((name) => /^(GCP_|PULUMI_BACKEND|PULUMI_SECRETS|SCALER_IMAGE)/.test(name)));
            assert.deepEqual([...read].filter((name) => name !== "GCP_SERVICE_ACCOUNT").sort(), [...CI_VARIABLES].sort());
            const sdk = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
            assert.equal((parse(text) as { variables: Record<string, string> }).variables.PULUMI_VERSION, sdk);
        });
    });
});
