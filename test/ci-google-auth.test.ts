import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { externalAccountCredential } from "../components/workload-identity";
import { PROJECT_ROOT } from "./fixtures";
import { shellcheck } from "./support/scripts-shellcheck";
import { requireTool } from "./support/tools";

const SCRIPT = path.join(PROJECT_ROOT, ".ci", "google-auth");
const ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJwcm9qZWN0X3BhdGgiOiJwbGF0Zm9ybS9ib3V0aXF1ZS1wbGF0Zm9ybSJ9.c2lnbmF0dXJl";
const PROVIDER = "projects/123456789012/locations/global/workloadIdentityPools/gitlab-a1b2c3/providers/gitlab";
const ACCOUNT = "boutique-ci-deploy@boutique-dev-000000.iam.gserviceaccount.com";

interface Received {
    readonly url: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

/** Google's STS and IAM Credentials on loopback: records each request, answers as Google does (or fails when told). */
class FakeGoogle {
    readonly received: Received[] = [];
    stsStatus = 200;
    private readonly server = http.createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString()));
        request.on("end", () => {
            this.received.push({ url: request.url ?? "", headers: request.headers, body });
            if (request.url === "/v1/token") {
                response.writeHead(this.stsStatus, { "content-type": "application/json" });
                response.end(this.stsStatus === 200 ? '{"access_token":"federated-token-1","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3599}' : '{"error":"invalid_grant"}');
            } else {
                response.writeHead(200, { "content-type": "application/json" });
                response.end('{\n  "accessToken": "ya29.impersonated-token",\n  "expireTime": "2026-11-25T17:00:00Z"\n}\n');
            }
        });
    });

    async start(): Promise<string> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(SCRIPT, args, { env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

describe(".ci/google-auth (GitLab id_token -> STS -> service account, no key)", function () {
    this.timeout(30_000);
    const google = new FakeGoogle();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "google-auth-"));
    let env: Record<string, string>;
    before(async function () {
        requireTool(this, "curl", "apt-get install curl");
        const base = await google.start();
        env = { GITLAB_OIDC_TOKEN: ID_TOKEN, GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER, GCP_SERVICE_ACCOUNT: ACCOUNT, GOOGLE_STS_URL: `${base}/v1/token`, GOOGLE_IAM_CREDENTIALS_URL: `${base}/v1` };
    });
    after(async () => {
        await google.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("passes shellcheck", function () {
        requireTool(this, "shellcheck", "apt-get install shellcheck");
        const check = shellcheck(fs.readFileSync(SCRIPT, "utf8"));
        assert.ok(check.passed, check.report);
    });

    it("access-token: exchanges the id_token at STS for the provider's audience, then impersonates the account", async () => {
        google.received.length = 0;
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
        google.stsStatus = 403;
        try {
            const result = await run(["access-token"], env);
            assert.notEqual(result.code, 0);
            assert.equal(result.stdout, "");
            assert.match(result.stderr, /403/);
        } finally {
            google.stsStatus = 200;
        }
    });

    it("credentials: writes the same external_account file a federated pod gets, the token beside it, both private", async () => {
        const file = path.join(dir, "google", "credentials.json");
        const result = await run(["credentials", file], { ...env, GOOGLE_STS_URL: undefined, GOOGLE_IAM_CREDENTIALS_URL: undefined });
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
            [{ GCP_WORKLOAD_IDENTITY_PROVIDER: "gitlab" }, /GCP_WORKLOAD_IDENTITY_PROVIDER = "gitlab": must be projects\/<number>\/locations\/global\/workloadIdentityPools\/<pool>\/providers\/<provider>/],
            [{ GCP_SERVICE_ACCOUNT: "deploy@example.com" }, /GCP_SERVICE_ACCOUNT = "deploy@example.com": must be a service account email/],
        ];
        for (const [change, message] of cases) {
            const result = await run(["credentials", path.join(dir, "refused.json")], { ...env, ...change });
            assert.equal(result.code, 2);
            assert.match(result.stderr, message);
        }
        assert.ok(!fs.existsSync(path.join(dir, "refused.json")));
        assert.equal((await run(["print"], env)).code, 2);
    });
});
