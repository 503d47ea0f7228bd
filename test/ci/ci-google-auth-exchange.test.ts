import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { externalAccountCredential } from "../../components/shared/workload-identity";
import {
    ACCOUNT,
    googleAuthHarness,
    ID_TOKEN,
    ISSUER,
    LEAKED_ACCESS_TOKEN,
    leakedPiece,
    PROVIDER,
    run,
    SCRIPT,
    TOKEN_AUDIENCE,
} from "../support/google-auth-script";
import { requireTool } from "../support/tools";

describe(".ci/google-auth (GitLab id_token -> STS -> service account, no key)", function () {
    this.timeout(60_000);
    const harness = googleAuthHarness();
    const { google, dir, googleEnv } = harness;
    let env: Record<string, string>;
    before(() => ({ env } = harness));

    it("passes shellcheck, with .ci/ci-context, which it sources", function () {
        requireTool(this, "shellcheck", "apt-get install shellcheck");
        // By path, not on stdin: shellcheck follows the `source` from the script's directory.
        const check = spawnSync("shellcheck", ["--shell=bash", "--external-sources", SCRIPT], { encoding: "utf8" });
        assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
        assert.match(check.stdout + check.stderr, /^$/);
    });

    it("access-token: exchanges the id_token at STS for the provider's audience, then impersonates the account", async () => {
        const result = await run(["access-token"], env);
        assert.deepEqual([result.code, result.stdout, result.stderr], [0, "ya29.impersonated-token\n", ""]);
        const [sts, iam] = google.received;
        assert.deepEqual(Object.fromEntries(new URLSearchParams(sts.body)), {
            grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
            audience: `//iam.googleapis.com/${PROVIDER}`,
            scope: "https://www.googleapis.com/auth/cloud-platform",
            requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
            subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
            subject_token: ID_TOKEN,
        });
        assert.equal(iam.url, `/v1/projects/-/serviceAccounts/${ACCOUNT}:generateAccessToken`);
        assert.equal(iam.headers.authorization, "Bearer federated-token-1");
        assert.deepEqual(JSON.parse(iam.body), { scope: ["https://www.googleapis.com/auth/cloud-platform"] });
        assert.equal(google.received.length, 2);
    });

    it("access-token: a refused exchange prints no token and fails the job", async () => {
        google.sts = { status: 403, body: '{"error":"invalid_grant"}' };
        const result = await run(["access-token"], env);
        assert.notEqual(result.code, 0);
        assert.equal(result.stdout, "");
        assert.match(result.stderr, /403/);
    });

    it("access-token: a refusal shows its status and Google's reason, bounded, with anything token-like redacted", async () => {
        const refusals: { sts?: { status: number; body: string }; iam?: { status: number; body: string }; says: RegExp }[] = [
            {
                sts: {
                    status: 400,
                    body: JSON.stringify({
                        error: "invalid_grant",
                        error_description: `The audience in ID Token [${TOKEN_AUDIENCE}] does not match; subject_token ${ID_TOKEN} and ${LEAKED_ACCESS_TOKEN}`,
                    }),
                },
                says: /token exchange at STS failed: HTTP 400: invalid_grant: The audience in ID Token/,
            },
            {
                sts: { status: 500, body: `<html>${LEAKED_ACCESS_TOKEN} ${"x".repeat(2_000_000)}</html>` },
                says: /token exchange at STS failed: HTTP 500: no JSON error in the answer/,
            },
            {
                iam: {
                    status: 403,
                    body: JSON.stringify({
                        error: {
                            code: 403,
                            status: "PERMISSION_DENIED",
                            message: `Permission 'iam.serviceAccounts.getAccessToken' denied; caller ${LEAKED_ACCESS_TOKEN} ${"y".repeat(5000)}`,
                        },
                    }),
                },
                says: /generateAccessToken for boutique-ci-deploy@\S+ failed: HTTP 403: PERMISSION_DENIED: Permission 'iam\.serviceAccounts\.getAccessToken' denied/,
            },
        ];
        for (const refusal of refusals) {
            google.reset();
            if (refusal.sts) google.sts = refusal.sts;
            if (refusal.iam) google.iam = refusal.iam;
            const result = await run(["access-token"], env);
            assert.equal(result.code, 2, result.stderr);
            assert.equal(result.stdout, "");
            assert.match(result.stderr, refusal.says);
            assert.ok(result.stderr.length < 1000, `${result.stderr.length} characters of error`);
            for (const secret of [ID_TOKEN, LEAKED_ACCESS_TOKEN, "federated-token-1"])
                assert.equal(leakedPiece(secret, result.stderr), undefined, result.stderr);
        }
    });

    it("access-token: an answer whose token is not one (header injection, missing, huge) is refused without printing it", async () => {
        const answers: { sts?: { status: number; body: string }; iam?: { status: number; body: string }; says: RegExp }[] = [
            {
                sts: { status: 200, body: JSON.stringify({ access_token: `${LEAKED_ACCESS_TOKEN}\r\nX-Injected: yes` }) },
                says: /STS answered without a usable access_token/,
            },
            { sts: { status: 200, body: JSON.stringify({ token: LEAKED_ACCESS_TOKEN }) }, says: /STS answered without a usable access_token/ },
            { sts: { status: 200, body: `not json ${LEAKED_ACCESS_TOKEN}` }, says: /STS answered without a usable access_token/ },
            {
                iam: { status: 200, body: JSON.stringify({ accessToken: `${LEAKED_ACCESS_TOKEN}" ${"z".repeat(100_000)}` }) },
                says: /answered without a usable accessToken/,
            },
            { iam: { status: 200, body: JSON.stringify({ accessToken: ["ya29", LEAKED_ACCESS_TOKEN] }) }, says: /answered without a usable accessToken/ },
        ];
        for (const answer of answers) {
            google.reset();
            if (answer.sts) google.sts = answer.sts;
            if (answer.iam) google.iam = answer.iam;
            const result = await run(["access-token"], env);
            assert.equal(result.code, 2, result.stderr);
            assert.equal(result.stdout, "");
            assert.match(result.stderr, answer.says);
            assert.equal(leakedPiece(LEAKED_ACCESS_TOKEN, result.stderr), undefined, result.stderr);
            if (answer.sts) assert.equal(google.received.length, 1, "nothing goes to IAM without a federated token");
            else assert.ok(!JSON.stringify(google.received[1].headers).includes("X-Injected"));
        }
    });

    it("credentials: writes the same external_account file a federated pod gets, the token beside it, both private", async () => {
        const file = path.join(dir, "google", "credentials.json");
        const result = await run(["credentials", file], googleEnv());
        assert.deepEqual([result.code, result.stdout.trim()], [0, file]);
        const written = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
        const pool = { projectNumber: "123456789012", poolId: "gitlab-a1b2c3", providerId: "gitlab" };
        const expected = externalAccountCredential(pool, { configMap: "unused", mountPath: path.dirname(file) }, ACCOUNT);
        assert.deepEqual(written, { ...expected, credential_source: { file: `${file}.token`, format: { type: "text" } } });
        assert.equal(fs.readFileSync(`${file}.token`, "utf8"), ID_TOKEN);
        for (const written of [file, `${file}.token`]) assert.equal(fs.statSync(written).mode & 0o777, 0o600, written);
    });

    it("refuses missing or malformed settings, naming the variable and what is allowed", async () => {
        const cases: [Record<string, string | undefined>, RegExp][] = [
            [{ GITLAB_OIDC_TOKEN: undefined }, /GITLAB_OIDC_TOKEN is not set \(the job's id_token \(a JWT\), from id_tokens: in \.gitlab-ci\.yml\)/],
            [{ GITLAB_OIDC_TOKEN: "" }, /GITLAB_OIDC_TOKEN is not set/],
            [
                { GCP_WORKLOAD_IDENTITY_PROVIDER: "gitlab" },
                /GCP_WORKLOAD_IDENTITY_PROVIDER = "gitlab": must be projects\/<number>\/locations\/global\/workloadIdentityPools\/<pool>\/providers\/<provider>/,
            ],
            [{ GCP_SERVICE_ACCOUNT: "deploy@example.com" }, /GCP_SERVICE_ACCOUNT = "deploy@example.com": must be a service account email/],
            // A quoted setting is shown printable and bounded: no terminal escapes, no megabyte.
            [{ GCP_SERVICE_ACCOUNT: `\u001b[2J${"a".repeat(100_000)}` }, /GCP_SERVICE_ACCOUNT = "\?\[2Ja{80,120}\.\.\.": must be a service account email/],
        ];
        for (const [change, message] of cases) {
            const result = await run(["credentials", path.join(dir, "refused.json")], { ...env, ...change });
            assert.equal(result.code, 2);
            assert.match(result.stderr, message);
            assert.ok(result.stderr.length < 1000, `${result.stderr.length} characters of error`);
        }
        assert.ok(!fs.existsSync(path.join(dir, "refused.json")));
        assert.equal((await run(["print"], env)).code, 2);
    });

    it("checks iss against this GitLab (CI_SERVER_URL) when it is known", async () => {
        const file = path.join(dir, "issuer", "credentials.json");
        const ok = await run(["credentials", file], { ...googleEnv(), CI_SERVER_URL: `${ISSUER}/` });
        assert.equal(ok.code, 0, ok.stderr);
        const other = await run(["credentials", file], { ...googleEnv(), CI_SERVER_URL: "https://gitlab.com" });
        assert.equal(other.code, 2);
        assert.match(other.stderr, /GITLAB_OIDC_TOKEN .*its iss claim is not this GitLab \(CI_SERVER_URL\)/);
    });
});
