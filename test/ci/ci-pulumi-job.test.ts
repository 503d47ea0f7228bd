import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";
import { requireTool } from "../support/tools";

const CI = path.join(PROJECT_ROOT, ".ci");

/**
 * `.ci/pulumi-job` with `pulumi` and `npm` replaced by recorders on PATH: each call is one line
 * of the log, so a test reads the job's commands in order. `pulumi config get` answers
 * `autoscalerEnabled`.
 */
function runJob(args: string[], env: Record<string, string | undefined>, autoscalerEnabled = "true") {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-job-"));
    const log = path.join(bin, "calls.log");
    for (const tool of ["pulumi", "npm"]) {
        const answer = tool === "pulumi" ? `if [ "$1 $2" = "config get" ]; then echo ${autoscalerEnabled}; fi\n` : "";
        fs.writeFileSync(path.join(bin, tool), `#!/usr/bin/env bash\necho "${tool} $*" >> "${log}"\n${answer}`, { mode: 0o755 });
    }
    const base = {
        PATH: `${bin}:${process.env.PATH}`,
        PULUMI_BACKEND_URL: "gs://boutique-dev-000000-pulumi-state",
        PULUMI_SECRETS_PROVIDER: "gcpkms://projects/boutique-dev-000000/locations/europe-west1/keyRings/boutique-pulumi/cryptoKeys/stack-secrets",
    };
    const run = spawnSync(path.join(CI, "pulumi-job"), args, { env: { ...base, ...env }, encoding: "utf8" });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trimEnd().split("\n") : [];
    fs.rmSync(bin, { recursive: true, force: true });
    return { status: run.status, stderr: run.stderr, calls };
}

const SELECT = [
    "pulumi login --non-interactive gs://boutique-dev-000000-pulumi-state",
    "pulumi stack select --non-interactive --create --secrets-provider gcpkms://projects/boutique-dev-000000/locations/europe-west1/keyRings/boutique-pulumi/cryptoKeys/stack-secrets dev",
];
const KEEP_DEPLOYED = "npm run --silent scale -- --stack dev --keep-deployed";

describe(".ci/pulumi-job and .ci/install-pulumi (the CI jobs' Pulumi steps)", () => {
    it("every script in .ci/ passes shellcheck", function () {
        requireTool(this, "shellcheck", "apt-get install shellcheck");
        const scripts = fs.readdirSync(CI).sort();
        for (const script of ["ci-context", "google-auth", "install-helm", "install-pulumi", "pulumi-at-deployed-scale", "pulumi-job", "run"])
            assert.ok(scripts.includes(script), script);
        for (const script of scripts) {
            // shellcheck reads stdin: sources are resolved from here, as `source=` names them.
            const run = spawnSync("shellcheck", ["--shell=bash", "--external-sources", script], { cwd: CI, encoding: "utf8" });
            assert.equal(run.status, 0, `${script}:\n${run.stdout}${run.stderr}`);
        }
    });

    it("preview: keeps the deployed scale, then previews with the policy pack and changes nothing", () => {
        const job = runJob(["preview", "dev"], {});
        assert.equal(job.status, 0, job.stderr);
        // Through .ci/pulumi-at-deployed-scale, the sequence `npm run up` runs for people.
        assert.deepEqual(job.calls, [...SELECT, KEEP_DEPLOYED, "pulumi preview --stack dev --non-interactive --diff --policy-pack policy"]);
    });

    it("up: runs the image this pipeline built when the stack has the autoscaler, then deploys with the policy pack", () => {
        const env = { SCALER_IMAGE_REPOSITORY: "europe-west1-docker.pkg.dev/boutique-dev-000000/platform", CI_COMMIT_SHORT_SHA: "0a1b2c3d" };
        const job = runJob(["up", "dev"], env);
        assert.equal(job.status, 0, job.stderr);
        assert.deepEqual(job.calls, [
            ...SELECT,
            "pulumi config get --stack dev --path autoscaler.enabled",
            "pulumi config set --stack dev --path autoscaler.scalerImage europe-west1-docker.pkg.dev/boutique-dev-000000/platform/boutique-scaler:0a1b2c3d",
            KEEP_DEPLOYED,
            "pulumi up --stack dev --non-interactive --yes --diff --policy-pack policy",
        ]);
        const without = runJob(["up", "dev"], env, "false");
        assert.ok(!without.calls.some((call) => call.includes("config set")), "no image set for a stack without the autoscaler");
    });

    it("scale: sets exactly WORKERS through npm run scale, after keeping the deployed scale", () => {
        const job = runJob(["scale", "dev"], { WORKERS: "5" });
        assert.equal(job.status, 0, job.stderr);
        assert.deepEqual(job.calls, [...SELECT, KEEP_DEPLOYED, "npm run --silent scale -- --stack dev --workers 5"]);
    });

    it("takes a passphrase secrets provider when the passphrase is set", () => {
        const job = runJob(["preview", "dev"], { PULUMI_SECRETS_PROVIDER: "passphrase", PULUMI_CONFIG_PASSPHRASE: "correct horse" });
        assert.equal(job.status, 0, job.stderr);
        assert.equal(job.calls[1], "pulumi stack select --non-interactive --create --secrets-provider passphrase dev");
    });

    it("refuses bad input before any Pulumi call, naming what is allowed", () => {
        const cases: [string[], Record<string, string | undefined>, RegExp][] = [
            [["scale", "dev"], { WORKERS: "five" }, /WORKERS = "five": must be a whole number of workers/],
            [["scale", "dev"], {}, /WORKERS = "": must be a whole number of workers/],
            [["destroy", "dev"], {}, /unknown operation "destroy": must be preview, up or scale/],
            // CI passes "$STACK": unset, it is empty, and there is no default stack to fall back on.
            [["up", ""], {}, /no stack: set the CI\/CD variable STACK .* to the Pulumi stack this project deploys/],
            [["preview", ""], {}, /no stack: set the CI\/CD variable STACK/],
            [["up", "dev; rm -rf /"], {}, /stack "dev; rm -rf \/": must be a stack name such as dev/],
            [["up", "dev"], { PULUMI_BACKEND_URL: "file://~" }, /PULUMI_BACKEND_URL = "file:\/\/~": must be the state bucket, gs:\/\/<bucket>/],
            [["up", "dev"], { PULUMI_SECRETS_PROVIDER: undefined }, /PULUMI_SECRETS_PROVIDER = "": must be the KMS key/],
            [["up", "dev"], { PULUMI_SECRETS_PROVIDER: "passphrase" }, /PULUMI_SECRETS_PROVIDER = passphrase needs PULUMI_CONFIG_PASSPHRASE/],
        ];
        for (const [args, env, message] of cases) {
            const job = runJob(args, env);
            assert.equal(job.status, 2, String(message));
            assert.match(job.stderr, message);
            assert.deepEqual(job.calls, [], String(message));
        }
    });

    /** The test-only variables a deploy or a scale refuses, each with a value a test would give it. */
    const TEST_HOOKS: Record<string, string> = {
        GOOGLE_STS_URL: "https://sts.googleapis.com/v1/token", // even Google's own: only tests set it
        GOOGLE_IAM_CREDENTIALS_URL: "http://127.0.0.1:8080/v1",
        GCE_METADATA_TOKEN_URL: "http://127.0.0.1:8080/token",
        STORAGE_EMULATOR_HOST: "http://127.0.0.1:9023",
        BOUTIQUE_TEST_ROOT: "/tmp/root",
        BOUTIQUE_TEST_WAIT_SECONDS: "0",
        BOUTIQUE_TEST_STS_URL: "http://127.0.0.1:8080/v1/token",
        BOUTIQUE_TEST_STORAGE_URL: "http://127.0.0.1:8080",
        BOUTIQUE_TEST_SOMETHING_NEW: "1",
    };

    it("up and scale refuse any variable only tests may set (even empty), naming it, before any Pulumi call; preview stays as it was", () => {
        for (const [name, value] of [...Object.entries(TEST_HOOKS), ["GOOGLE_STS_URL", ""]]) {
            for (const action of ["up", "scale"]) {
                const job = runJob([action, "dev"], { WORKERS: "5", [name]: value });
                assert.equal(job.status, 2, `${action} with ${name}=${value}: ${job.stderr}`);
                assert.match(job.stderr, new RegExp(`pulumi-job: ${name} is set: a variable only tests may set; ${action} refuses it`));
                assert.deepEqual(job.calls, [], `${action} with ${name}`);
            }
        }
        const all = runJob(["up", "dev"], TEST_HOOKS);
        assert.match(all.stderr, new RegExp(`${Object.keys(TEST_HOOKS).slice(0, 4).join(" ")} \\S*BOUTIQUE_TEST_\\S+ .* are set`));
        const preview = runJob(["preview", "dev"], TEST_HOOKS);
        assert.equal(preview.status, 0, preview.stderr);
    });

    it("in a CI job, up and scale run only in the default branch's protected pipeline; preview runs anywhere", () => {
        const protectedMain = {
            CI: "true",
            CI_JOB_ID: "7",
            CI_COMMIT_REF_PROTECTED: "true",
            CI_COMMIT_BRANCH: "main",
            CI_DEFAULT_BRANCH: "main",
            WORKERS: "5",
        };
        for (const action of ["up", "scale"]) {
            const job = runJob([action, "dev"], protectedMain);
            assert.equal(job.status, 0, `${action}: ${job.stderr}`);
            const refused: Record<string, string | undefined>[] = [
                { CI_COMMIT_REF_PROTECTED: "false" },
                { CI_COMMIT_REF_PROTECTED: undefined },
                { CI_COMMIT_BRANCH: "feature/x" },
                { CI_COMMIT_BRANCH: undefined }, // a merge request or tag pipeline
                { CI_COMMIT_BRANCH: "", CI_DEFAULT_BRANCH: "" },
                { CI: "false", CI_COMMIT_REF_PROTECTED: "false" }, // CI=false does not make it a test
            ];
            for (const change of refused) {
                const refusedJob = runJob([action, "dev"], { ...protectedMain, ...change });
                assert.equal(refusedJob.status, 2, `${action} ${JSON.stringify(change)}: ${refusedJob.stderr}`);
                assert.match(refusedJob.stderr, new RegExp(`pulumi-job: ${action} runs only in the default branch's protected pipelines`));
                assert.deepEqual(refusedJob.calls, []);
            }
            const hooked = runJob([action, "dev"], { ...protectedMain, BOUTIQUE_TEST_ROOT: "/tmp/root" });
            assert.equal(hooked.status, 2);
            assert.match(hooked.stderr, /BOUTIQUE_TEST_ROOT is set: a variable only tests may set/);
        }
        const preview = runJob(["preview", "dev"], {
            CI: "true",
            CI_JOB_ID: "7",
            CI_COMMIT_REF_PROTECTED: "false",
            CI_COMMIT_BRANCH: "feature/x",
            CI_DEFAULT_BRANCH: "main",
        });
        assert.equal(preview.status, 0, preview.stderr);
    });

    it("install-pulumi refuses a version that is not one, and reuses an installed CLI without downloading", () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-home-"));
        try {
            const install = (version: string) =>
                spawnSync(path.join(CI, "install-pulumi"), [], {
                    env: { PATH: process.env.PATH, PULUMI_HOME: home, PULUMI_VERSION: version },
                    encoding: "utf8",
                });
            assert.match(install("latest").stderr, /PULUMI_VERSION = "latest": must be a version such as 3\.248\.0/);
            const cli = path.join(home, "cli", "3.248.0", "pulumi");
            fs.mkdirSync(cli, { recursive: true });
            fs.writeFileSync(path.join(cli, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
            const cached = install("3.248.0");
            assert.deepEqual([cached.status, cached.stdout.trim()], [0, cli]);
        } finally {
            fs.rmSync(home, { recursive: true, force: true });
        }
    });
});
