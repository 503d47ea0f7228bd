import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ACCOUNT, b64url, CLAIMS, googleAuthHarness, ID_TOKEN, jwt, leakedPiece, NOW, run, SECRET, TOKEN_AUDIENCE } from "../support/google-auth-script";

/** `part` cut to a length of 4n + 1, which no base64 encoding has. */
const oneTooMany = (part: string) => `${part.slice(0, part.length - (part.length % 4))}A`;

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
    const harness = googleAuthHarness();
    const { google, dir } = harness;
    let base: string;
    let env: Record<string, string>;
    before(() => ({ base, env } = harness));

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
