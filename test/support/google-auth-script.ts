import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";
import { requireTool } from "./tools";

/**
 * What the .ci/google-auth tests share (test/ci/ci-google-auth-*.test.ts): the script, a
 * GitLab-shaped id_token, the fake Google it talks to, and the describe-level harness.
 */

export const SCRIPT = path.join(PROJECT_ROOT, ".ci", "google-auth");
export const PROVIDER = "projects/123456789012/locations/global/workloadIdentityPools/gitlab-a1b2c3/providers/gitlab";
export const ACCOUNT = "boutique-ci-deploy@boutique-dev-000000.iam.gserviceaccount.com";
/** The audience `id_tokens:` in .gitlab-ci.yml asks GitLab for. */
export const TOKEN_AUDIENCE = `https://iam.googleapis.com/${PROVIDER}`;
export const ISSUER = "https://gitlab.example.com";

export const b64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");
export const NOW = Math.floor(Date.now() / 1000);
export const CLAIMS = {
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
export function jwt(claims: Record<string, unknown> = CLAIMS, header: unknown = { alg: "RS256", kid: "gitlab-key-1", typ: "JWT" }): string {
    return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${b64url("signature-bytes-of-gitlab")}`;
}
export const ID_TOKEN = jwt();

/** Secret-looking strings a malformed token (or an answer) may carry: none may reach the job log. */
export const SECRET = "glpat-Zq8vR2mX7tK4pL1wN9bC";
export const LEAKED_ACCESS_TOKEN = "ya29.a0AfB_byLEAKEDaccessTOKENdoNOTprintQwErTyUiOp";

export interface Received {
    readonly url: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

/** Google's STS and IAM Credentials on loopback: records each request, answers as Google does (or as a test tells it to). */
export class FakeGoogle {
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
export function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(SCRIPT, args, { env: { PATH: process.env.PATH, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

/** The first 8-character piece of `secret` that `output` contains, if any. */
export function leakedPiece(secret: string, output: string): string | undefined {
    for (let i = 0; i + 8 <= secret.length; i++) {
        if (output.includes(secret.slice(i, i + 8))) return secret.slice(i, i + 8);
    }
    return undefined;
}

/** The shared state of one describe block: the fake Google, a scratch directory, and the script's environment. */
export interface GoogleAuthHarness {
    readonly google: FakeGoogle;
    readonly dir: string;
    /** The fake Google's base URL (set in `before`). */
    base: string;
    /** The script's settings, endpoints pointed at the fake Google (set in `before`). */
    env: Record<string, string>;
    /** No endpoint override: Google's own (nothing is called in the tests that use it). */
    readonly googleEnv: () => Record<string, string | undefined>;
}

/** Registers the before/beforeEach/after hooks in the calling describe block and returns its state. */
export function googleAuthHarness(): GoogleAuthHarness {
    const google = new FakeGoogle();
    const harness: GoogleAuthHarness = {
        google,
        dir: fs.mkdtempSync(path.join(os.tmpdir(), "google-auth-")),
        base: "",
        env: {},
        googleEnv: () => ({ ...harness.env, GOOGLE_STS_URL: undefined, GOOGLE_IAM_CREDENTIALS_URL: undefined }),
    };
    before(async function () {
        requireTool(this, "curl", "apt-get install curl");
        requireTool(this, "node", "the node image");
        harness.base = await google.start();
        harness.env = {
            GITLAB_OIDC_TOKEN: ID_TOKEN,
            GCP_WORKLOAD_IDENTITY_PROVIDER: PROVIDER,
            GCP_SERVICE_ACCOUNT: ACCOUNT,
            GOOGLE_STS_URL: `${harness.base}/v1/token`,
            GOOGLE_IAM_CREDENTIALS_URL: `${harness.base}/v1`,
        };
    });
    beforeEach(() => google.reset());
    after(async () => {
        await google.stop();
        fs.rmSync(harness.dir, { recursive: true, force: true });
    });
    return harness;
}
