import { strict as assert } from "assert";
import { execFile, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { externalAccountCredential } from "../../components/shared/workload-identity";
import { PROJECT_ROOT } from "../fixtures";
import { requireTool } from "../support/tools";

const SCRIPT = path.join(PROJECT_ROOT, ".ci", "google-auth");
const PROVIDER = "projects/123456789012/locations/global/workloadIdentityPools/gitlab-a1b2c3/providers/gitlab";
const ACCOUNT = "boutique-ci-deploy@boutique-dev-000000.iam.gserviceaccount.com";
/** The audience `id_tokens:` in .gitlab-ci.yml asks GitLab for. */
const TOKEN_AUDIENCE = `https://iam.googleapis.com/${PROVIDER}`;
const ISSUER = "https://gitlab.example.com";

const b64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");
const NOW = Math.floor(Date.now() / 1000);
const CLAIMS = {
    iss: ISSUER,
    aud: TOKEN_AUDIENCE,
    sub: "project_path:platform/boutique-platform:ref_type:branch:ref:main",
    project_path: "platform/boutique-platform",
    ref_protected: "true",
    iat: NOW,
    nbf: NOW,
    exp: NOW + 3600,
};
/** A GitLab-shaped id_token (unsigned: the fake STS does not check the signature; Google does). */
function jwt(claims: Record<string, unknown> = CLAIMS, header: unknown = { alg: "RS256", kid: "gitlab-key-1", typ: "JWT" }): string {
    return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${b64url("signature-bytes-of-gitlab")}`;
}
const ID_TOKEN = jwt();

/** `part` cut to a length of 4n + 1, which no base64 encoding has. */
const oneTooMany = (part: string) => `${part.slice(0, part.length - (part.length % 4))}A`;

/** Secret-looking strings a malformed token (or an answer) may carry: none may reach the job log. */
const SECRET = "glpat-Zq8vR2mX7tK4pL1wN9bC";
const LEAKED_ACCESS_TOKEN = "ya29.a0AfB_byLEAKEDaccessTOKENdoNOTprintQwErTyUiOp";

interface Received {
    readonly url: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

/** Google's STS and IAM Credentials on loopback: records each request, answers as Google does (or as a test tells it to). */
class FakeGoogle {
    static readonly STS_OK = {
        status: 200,
        body: '{"access_token":"federated-token-1","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3599}',
    };
    static readonly IAM_OK = { status: 200, body: '{\n  "accessToken": "ya29.impersonated-token",\n  "expireTime": "2026-11-25T17:00:00Z"\n}\n' };
    readonly received: Received[] = [];
    sts: { status: number; body: string } = FakeGoogle.STS_OK;
    iam: { status: number; body: string } = FakeGoogle.IAM_OK;
    private readonly server = http.createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString()));
        request.on("end", () => {
            this.received.push({ url: request.url ?? "", headers: request.headers, body });
            const answer = request.url === "/v1/token" ? this.sts : this.iam;
            response.writeHead(answer.status, { "content-type": "application/json" });
            response.end(answer.body);
        });
    });

    reset(): void {
        this.received.length = 0;
        this.sts = FakeGoogle.STS_OK;
        this.iam = FakeGoogle.IAM_OK;
    }

    async start(): Promise<string> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

/** The script with exactly `env` (and PATH): no CI variables unless a test sets them. */
function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(SCRIPT, args, { env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

/** The first 8-character piece of `secret` that `output` contains, if any. */
function leakedPiece(secret: string, output: string): string | undefined {
    for (let i = 0; i + 8 <= secret.length; i++) {
        if (output.includes(secret.slice(i, i + 8))) return secret.slice(i, i + 8);
    }
    return undefined;
}

/** Malformed id_tokens by class, each with what the refusal must say. Counted in the report. */
const MALFORMED_TOKENS: readonly {
    readonly kind: "shape" | "shell" | "json" | "size" | "unicode" | "claims";
    readonly name: string;
    readonly token: string;
    readonly says: RegExp;
}[] = [
    { kind: "shape", name: "a GitLab access token instead of an id_token", token: SECRET, says: /not a JWT: 1 dot-separated part/ },
    {
        kind: "shape",
        name: "two parts, the second carrying a secret",
        token: `${b64url('{"alg":"RS256"}')}.${b64url(`{"secret":"${SECRET}"}`)}`,
        says: /not a JWT: 2 dot-separated parts/,
    },
    { kind: "shape", name: "four parts", token: `${ID_TOKEN}.${b64url(SECRET)}`, says: /not a JWT: 4 dot-separated parts/ },
    { kind: "shape", name: "an empty signature", token: ID_TOKEN.slice(0, ID_TOKEN.lastIndexOf(".") + 1), says: /its signature is empty/ },
    { kind: "shape", name: "an empty payload", token: `${b64url('{"alg":"RS256"}')}..${b64url(SECRET)}`, says: /its payload is empty/ },
    {
        kind: "shape",
        name: "a payload of a length no base64 has",
        token: `${b64url('{"alg":"RS256"}')}.${oneTooMany(b64url(JSON.stringify({ ...CLAIMS, note: SECRET })))}.${b64url(SECRET)}`,
        says: /its payload is not base64url/,
    },
    { kind: "shape", name: "standard base64 (+, /, =) instead of base64url", token: `${ID_TOKEN}+/==`, says: /characters other than base64url/ },
    { kind: "shape", name: "a trailing newline", token: `${ID_TOKEN}\n`, says: /characters other than base64url/ },
    { kind: "shape", name: "a space inside", token: ID_TOKEN.replace(".", ". "), says: /characters other than base64url/ },
    { kind: "shell", name: "a command substitution", token: `$(touch /tmp/pwned-by-hostile-input)${ID_TOKEN}`, says: /characters other than base64url/ },
    { kind: "shell", name: "backticks and a semicolon", token: `${ID_TOKEN};\`id\`;${SECRET}`, says: /characters other than base64url/ },
    {
        kind: "json",
        name: "a quote and brace injection",
        token: `${ID_TOKEN}","token_url":"https://evil.example/${SECRET}`,
        says: /characters other than base64url/,
    },
    {
        kind: "json",
        name: "a payload that is not JSON",
        token: `${b64url('{"alg":"RS256"}')}.${b64url(`not json: ${SECRET}`)}.${b64url("sig")}`,
        says: /its payload is not JSON/,
    },
    {
        kind: "json",
        name: "a payload that is a JSON array",
        token: `${b64url('{"alg":"RS256"}')}.${b64url(JSON.stringify([SECRET, TOKEN_AUDIENCE]))}.${b64url("sig")}`,
        says: /its payload is not a JSON object/,
    },
    {
        kind: "json",
        name: "a header that is not JSON",
        token: `${b64url(`{alg: ${SECRET}`)}.${b64url(JSON.stringify(CLAIMS))}.${b64url("sig")}`,
        says: /its header is not JSON/,
    },
    { kind: "unicode", name: "fullwidth letters", token: ID_TOKEN.replace("eyJ", "ｅｙＪ"), says: /characters other than base64url/ },
    {
        kind: "unicode",
        name: "a payload that is not UTF-8",
        token: `${b64url('{"alg":"RS256"}')}.${Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, ...Buffer.from(SECRET)]).toString("base64url")}.${b64url("sig")}`,
        says: /its payload is not UTF-8/,
    },
    { kind: "unicode", name: "a right-to-left override and an emoji", token: `${ID_TOKEN}\u202e🔑${SECRET}`, says: /characters other than base64url/ },
    {
        kind: "size",
        name: "20 000 characters",
        token: `${b64url('{"alg":"RS256"}')}.${"A".repeat(20_000)}${SECRET.replace(/-/g, "")}.${b64url("sig")}`,
        says: /is 20\d\d\d bytes long: a GitLab id_token is at most 16384/,
    },
    // 120 000: near the kernel's limit for one environment string (128 KiB), so the job could have it.
    {
        kind: "size",
        name: "120 000 characters",
        token: `${SECRET}.${"x".repeat(120_000)}.${SECRET}`,
        says: /is 120\d\d\d bytes long: a GitLab id_token is at most 16384/,
    },
    { kind: "claims", name: "no aud", token: jwt({ ...CLAIMS, aud: undefined, secret: SECRET }), says: /it has no aud claim/ },
    {
        kind: "claims",
        name: "another audience (a secret in it)",
        token: jwt({ ...CLAIMS, aud: `https://iam.googleapis.com/${SECRET}` }),
        says: /its aud claim is not https:\/\/iam\.googleapis\.com\/projects\/123456789012\//,
    },
    {
        kind: "claims",
        name: "an aud list without the provider",
        token: jwt({ ...CLAIMS, aud: ["https://vault.example", SECRET] }),
        says: /its aud claim is not/,
    },
    { kind: "claims", name: "no iss", token: jwt({ ...CLAIMS, iss: undefined, note: SECRET }), says: /it has no iss claim/ },
    {
        kind: "claims",
        name: "an iss that is not https",
        token: jwt({ ...CLAIMS, iss: `http://${SECRET}.example` }),
        says: /its iss claim is not an https:\/\/ URL/,
    },
    { kind: "claims", name: "no exp", token: jwt({ ...CLAIMS, exp: undefined, note: SECRET }), says: /it has no exp claim/ },
    { kind: "claims", name: "exp as a string", token: jwt({ ...CLAIMS, exp: `${NOW + 3600}${SECRET}` }), says: /it has no exp claim \(a number\)/ },
    { kind: "claims", name: "expired", token: jwt({ ...CLAIMS, exp: NOW - 5, note: SECRET }), says: /it has expired/ },
];

/** Endpoint overrides a CI job refuses (and the Google URLs it keeps). Counted in the report. */
const HOSTILE_STS_URLS: readonly { readonly kind: "json" | "shell" | "host" | "unicode" | "size"; readonly url: string }[] = [
    { kind: "json", url: 'https://sts.googleapis.com/v1/token","injected":"yes' },
    { kind: "json", url: 'http://127.0.0.1:1/"},"credential_source":{"file":"/etc/shadow"},"x":{"' },
    { kind: "json", url: "https://sts.googleapis.com/v1/token\\u0022" },
    { kind: "shell", url: "https://sts.googleapis.com/v1/token$(touch /tmp/pwned-by-hostile-input)" },
    { kind: "shell", url: "https://sts.googleapis.com/v1/token;id" },
    { kind: "shell", url: "https://sts.googleapis.com/v1/token\nhttps://evil.example/" },
    { kind: "host", url: "https://evil.example/v1/token" },
    { kind: "host", url: "http://sts.googleapis.com/v1/token" },
    { kind: "host", url: "https://sts.googleapis.com.evil.example/v1/token" },
    { kind: "host", url: "https://sts.googleapis.com@evil.example/v1/token" },
    { kind: "host", url: "https://sts.googleapis.com:8443/v1/token" },
    { kind: "host", url: "https://sts.googleapis.com/v1/token?redirect=https://evil.example" },
    { kind: "host", url: "https://iamcredentials.googleapis.com/v1" },
    { kind: "unicode", url: "https://sts.googleapis.cοm/v1/token" },
    { kind: "unicode", url: "https://ѕts.googleapis.com/v1/token" },
    { kind: "size", url: `https://sts.googleapis.com/${"a".repeat(100_000)}` },
];

describe(".ci/google-auth (GitLab id_token -> STS -> service account, no key)", function () {
    this.timeout(60_000);
    const google = new FakeGoogle();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "google-auth-"));
    let base: string;
    let env: Record<string, string>;
    /** No endpoint override: Google's own (nothing is called in the tests that use it). */
    const googleEnv = () => ({ ...env, GOOGLE_STS_URL: undefined, GOOGLE_IAM_CREDENTIALS_URL: undefined });
    before(async function () {
        requireTool(this, "curl", "apt-get install curl");
        requireTool(this, "node", "the node image");
        base = await google.start();
        env = {
            GITLAB_OIDC_TOKEN: ID_TOKEN,
            GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
            GCP_SERVICE_ACCOUNT: ACCOUNT,
            GOOGLE_STS_URL: `${base}/v1/token`,
            GOOGLE_IAM_CREDENTIALS_URL: `${base}/v1`,
        };
    });
    beforeEach(() => google.reset());
    after(async () => {
        await google.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

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

    it("a malformed id_token is refused before any call, saying what is wrong with it and never what it is (no 8 characters of it)", async () => {
        const file = path.join(dir, "malformed", "credentials.json");
        for (const { kind, name, token, says } of MALFORMED_TOKENS) {
            for (const args of [["credentials", file], ["access-token"]]) {
                google.reset();
                const result = await run(args, { ...env, GITLAB_OIDC_TOKEN: token });
                const output = result.stdout + result.stderr;
                assert.equal(result.code, 2, `${kind} ${name}: ${output}`);
                assert.match(result.stderr, says, `${kind} ${name}`);
                assert.match(result.stderr, /GITLAB_OIDC_TOKEN/, `${kind} ${name}: names the variable`);
                assert.equal(leakedPiece(token, output), undefined, `${kind} ${name}: the output holds a piece of the token: ${output}`);
                assert.ok(!output.includes(SECRET.slice(6, 14)), `${kind} ${name}: the secret inside the token leaked`);
                assert.ok(output.length < 1000, `${kind} ${name}: ${output.length} characters of output`);
                assert.equal(google.received.length, 0, `${kind} ${name}: Google was called`);
                assert.ok(!fs.existsSync(file) && !fs.existsSync(`${file}.token`), `${kind} ${name}: a credential file was written`);
            }
        }
        assert.ok(!fs.existsSync("/tmp/pwned-by-hostile-input"), "a token's shell text ran");
    });

    it("checks iss against this GitLab (CI_SERVER_URL) when it is known", async () => {
        const file = path.join(dir, "issuer", "credentials.json");
        const ok = await run(["credentials", file], { ...googleEnv(), CI_SERVER_URL: `${ISSUER}/` });
        assert.equal(ok.code, 0, ok.stderr);
        const other = await run(["credentials", file], { ...googleEnv(), CI_SERVER_URL: "https://gitlab.com" });
        assert.equal(other.code, 2);
        assert.match(other.stderr, /GITLAB_OIDC_TOKEN .*its iss claim is not this GitLab \(CI_SERVER_URL\)/);
    });

    it("in a CI job, an endpoint override is refused unless it is Google's own endpoint, whatever CI says", async () => {
        const file = path.join(dir, "ci", "credentials.json");
        // GitLab's runner sets all of these; a pipeline variable can change a value, never remove one.
        const ciMarkers: Record<string, string>[] = [
            { CI: "true" },
            { GITLAB_CI: "true" },
            { CI_JOB_ID: "4242" },
            { CI: "false", GITLAB_CI: "false" },
            { CI_JOB_TOKEN: "" },
        ];
        for (const marker of ciMarkers) {
            // Every hostile value under CI=true; one under each other marker (the check is the same).
            for (const { kind, url } of marker.CI === "true" ? HOSTILE_STS_URLS : HOSTILE_STS_URLS.slice(0, 1)) {
                for (const args of [["credentials", file], ["access-token"]]) {
                    google.reset();
                    const result = await run(args, { ...env, ...marker, GOOGLE_STS_URL: url });
                    assert.equal(result.code, 2, `${JSON.stringify(marker)} ${kind} ${url.slice(0, 80)}: ${result.stderr}`);
                    assert.match(
                        result.stderr,
                        /GOOGLE_STS_URL is set and is not Google's endpoint \(https:\/\/sts\.googleapis\.com\/\.\.\., at most 2048 characters\): refused in a CI job/,
                    );
                    assert.ok(result.stderr.length < 1000);
                    assert.equal(google.received.length, 0);
                    assert.ok(!fs.existsSync(file));
                }
            }
            const iam = await run(["credentials", file], { ...env, ...marker, GOOGLE_STS_URL: undefined, GOOGLE_IAM_CREDENTIALS_URL: `${base}/v1` });
            assert.equal(iam.code, 2);
            assert.match(iam.stderr, /GOOGLE_IAM_CREDENTIALS_URL is set and is not Google's endpoint \(https:\/\/iamcredentials\.googleapis\.com\/\.\.\./);
        }
        // Google's own endpoints stay allowed in CI, and are written as given.
        const own = await run(["credentials", file], {
            ...env,
            CI: "true",
            GOOGLE_STS_URL: "https://sts.googleapis.com/v1/token",
            GOOGLE_IAM_CREDENTIALS_URL: "https://iamcredentials.googleapis.com/v1",
        });
        assert.equal(own.code, 0, own.stderr);
        const written = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
        assert.equal(written.token_url, "https://sts.googleapis.com/v1/token");
        assert.equal(
            written.service_account_impersonation_url,
            `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${ACCOUNT}:generateAccessToken`,
        );
        assert.ok(!fs.existsSync("/tmp/pwned-by-hostile-input"));
    });

    it("outside CI (tests), an override with quotes and braces is written as one JSON string: no key is injected", async () => {
        const file = path.join(dir, "tests", "credentials.json");
        const injections = [
            'http://127.0.0.1:9/v1/token","injected":"yes',
            'http://127.0.0.1:9/"},"credential_source":{"file":"/etc/shadow"},"x":{"',
            'http://127.0.0.1:9/\\",\\"injected\\":\\"yes',
            "http://127.0.0.1:9/${HOME}$(id)`id`",
        ];
        const keys = ["audience", "credential_source", "service_account_impersonation_url", "subject_token_type", "token_url", "type"];
        for (const url of injections) {
            const result = await run(["credentials", file], { ...env, GOOGLE_STS_URL: url, GOOGLE_IAM_CREDENTIALS_URL: url });
            assert.equal(result.code, 0, result.stderr);
            const written = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
            assert.deepEqual(Object.keys(written).sort(), keys, url);
            assert.equal(written.token_url, url);
            assert.equal(written.service_account_impersonation_url, `${url}/projects/-/serviceAccounts/${ACCOUNT}:generateAccessToken`);
            assert.deepEqual(written.credential_source, { file: `${file}.token`, format: { type: "text" } });
        }
        const notUrl = await run(["credentials", file], { ...env, GOOGLE_STS_URL: "file:///etc/passwd" });
        assert.equal(notUrl.code, 2);
        assert.match(notUrl.stderr, /GOOGLE_STS_URL must be an http\(s\) URL of at most 2048 characters/);
    });
});
