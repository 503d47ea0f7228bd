import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { Jwk } from "../../components/cluster/pki";

/**
 * Google's STS and the GCS JSON API, as far as the etcd backup scripts use them, on loopback.
 * STS checks the host-signed token the way Workload Identity Federation does: RS256 signature
 * against the provider's uploaded JWKS (found by `kid`), then iss, aud, sub and the lifetime.
 * GCS keeps objects in memory, answers only the access tokens STS issued, and pages listings.
 */

export interface FakeGoogleExpectations {
    readonly jwks: { readonly keys: readonly Jwk[] };
    readonly issuer: string;
    /** The STS `audience` parameter: the provider's resource name. */
    readonly providerAudience: string;
    /** The token's `aud`. */
    readonly tokenAudience: string;
    readonly subject: string;
    readonly bucket: string;
}

export interface StoredObject {
    readonly data: Buffer;
    readonly generation: number;
}

/** What STS saw in an exchange it granted. */
export interface GrantedExchange {
    readonly header: Record<string, unknown>;
    readonly claims: Record<string, unknown>;
}

const MAX_TOKEN_LIFETIME_SECONDS = 600;

function base64urlJson(part: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

export class FakeGoogle {
    readonly objects = new Map<string, StoredObject>();
    readonly granted: GrantedExchange[] = [];
    readonly refusals: string[] = [];
    /** When set, STS refuses every exchange with this status (Google down, or the provider gone). */
    stsOutage: number | undefined;
    /** Listing page size: small, so the scripts' paging is exercised. */
    pageSize = 2;
    private readonly tokens = new Set<string>();
    private generation = 1;
    private readonly server = http.createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => this.handle(request, Buffer.concat(chunks), response));
    });

    constructor(private readonly expect: FakeGoogleExpectations) {}

    async start(): Promise<string> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private handle(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): void {
        const url = new URL(request.url ?? "/", "http://fake");
        // Google pretty-prints its JSON: the scripts must not rely on one line.
        const reply = (status: number, json: unknown) => {
            response.writeHead(status, { "content-type": "application/json" });
            response.end(JSON.stringify(json, null, 2));
        };
        if (request.method === "POST" && url.pathname === "/v1/token") return this.exchange(body, reply);
        if (!this.tokens.has((request.headers.authorization ?? "").replace(/^Bearer /, ""))) {
            return reply(401, { error: { code: 401, message: "Invalid Credentials" } });
        }
        const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
        const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
        const get = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
        const bucket = (upload ?? list ?? get)?.[1];
        if (bucket !== this.expect.bucket) return reply(404, { error: { code: 404, message: `The specified bucket does not exist: ${bucket}` } });
        if (upload && request.method === "POST") {
            const name = url.searchParams.get("name") ?? "";
            if (url.searchParams.get("uploadType") !== "media" || !name)
                return reply(400, { error: { code: 400, message: "uploadType=media and name required" } });
            if (url.searchParams.get("ifGenerationMatch") === "0" && this.objects.has(name))
                return reply(412, { error: { code: 412, message: "Precondition Failed" } });
            const stored = { data: body, generation: this.generation++ };
            this.objects.set(name, stored);
            return reply(200, {
                kind: "storage#object",
                name,
                bucket,
                generation: String(stored.generation),
                size: String(body.length),
                md5Hash: crypto.createHash("md5").update(body).digest("base64"),
            });
        }
        if (list && request.method === "GET") {
            if (url.searchParams.get("fields") !== "items(name),nextPageToken") return reply(400, { error: { code: 400, message: "unexpected fields" } });
            const prefix = url.searchParams.get("prefix") ?? "";
            const names = [...this.objects.keys()].filter((name) => name.startsWith(prefix)).sort();
            const start = Number(url.searchParams.get("pageToken") ?? "0");
            const page = names.slice(start, start + this.pageSize);
            const next = start + this.pageSize < names.length ? { nextPageToken: String(start + this.pageSize) } : {};
            return reply(200, { ...(page.length ? { items: page.map((name) => ({ name })) } : {}), ...next });
        }
        if (get && request.method === "GET" && url.searchParams.get("alt") === "media") {
            const stored = this.objects.get(decodeURIComponent(get[2]));
            if (!stored) return reply(404, { error: { code: 404, message: `No such object: ${bucket}/${decodeURIComponent(get[2])}` } });
            response.writeHead(200, { "content-type": "application/octet-stream" });
            return void response.end(stored.data);
        }
        reply(400, { error: { code: 400, message: `unexpected ${request.method} ${url.pathname}` } });
    }

    private exchange(body: Buffer, reply: (status: number, json: unknown) => void): void {
        const refuse = (status: number, description: string) => {
            this.refusals.push(description);
            reply(status, { error: "invalid_grant", error_description: description });
        };
        if (this.stsOutage !== undefined) return refuse(this.stsOutage, "the service is refusing exchanges");
        const form = new URLSearchParams(body.toString("utf8"));
        const want: Record<string, string> = {
            grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
            audience: this.expect.providerAudience,
            scope: "https://www.googleapis.com/auth/cloud-platform",
            requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
            subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        };
        for (const [field, value] of Object.entries(want)) {
            if (form.get(field) !== value) return refuse(400, `${field} is ${JSON.stringify(form.get(field))}, expected ${JSON.stringify(value)}`);
        }
        const problem = this.tokenProblem(form.get("subject_token") ?? "");
        if (typeof problem === "string") return refuse(400, problem);
        this.granted.push(problem);
        const token = crypto.randomBytes(24).toString("base64url");
        this.tokens.add(token);
        reply(200, { access_token: token, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: 3599 });
    }

    /** The verified token's parts, or why Workload Identity Federation would refuse it. */
    private tokenProblem(token: string): string | GrantedExchange {
        const parts = token.split(".");
        if (parts.length !== 3) return "subject_token is not a JWT";
        let header: Record<string, unknown>;
        let claims: Record<string, unknown>;
        try {
            [header, claims] = [base64urlJson(parts[0]), base64urlJson(parts[1])];
        } catch {
            return "subject_token has undecodable parts";
        }
        if (header.alg !== "RS256") return `alg ${String(header.alg)} is not RS256`;
        const jwk = this.expect.jwks.keys.find((key) => key.kid === header.kid);
        if (!jwk) return `no key with kid ${String(header.kid)} in the provider's JWKS`;
        const key = crypto.createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: "jwk" });
        if (!crypto.verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], "base64url")))
            return "the signature does not verify";
        const now = Math.floor(Date.now() / 1000);
        const [iat, exp] = [Number(claims.iat), Number(claims.exp)];
        if (claims.iss !== this.expect.issuer) return `iss ${String(claims.iss)} is not the provider's issuer`;
        if (claims.aud !== this.expect.tokenAudience) return `aud ${String(claims.aud)} is not the provider's audience`;
        if (claims.sub !== this.expect.subject) return `sub ${String(claims.sub)} is not granted`;
        if (!(exp > now) || !(iat <= now + 60) || exp - iat > MAX_TOKEN_LIFETIME_SECONDS) return `bad lifetime (iat ${iat}, exp ${exp}, now ${now})`;
        return { header, claims };
    }
}
