import * as http from "http";
import { AddressInfo } from "net";

/**
 * A loopback proxy in front of the fake Google (fake-google.ts) that keeps the secrets passing
 * through it, so the argv test knows them: the host-signed subject tokens the scripts send to
 * STS, the access tokens STS answers, and the bearer tokens GCS calls carry. It also plays the
 * GCE metadata server's token endpoint for the image credential provider.
 */

const METADATA_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

export class GoogleTap {
    readonly subjectTokens: string[] = [];
    readonly accessTokens: string[] = [];
    /** Bearer tokens of GCS calls that the fake Google answered with a 2xx. */
    readonly acceptedBearers: string[] = [];
    readonly metadataAnswers: string[] = [];
    private base = "";
    private readonly server = http.createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => this.forward(request, Buffer.concat(chunks), response));
    });

    constructor(
        private readonly target: string,
        private readonly metadataToken: string,
    ) {}

    async start(): Promise<void> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    /** The scripts' Google endpoints (and the metadata server), pointed at this tap. */
    env(): Record<string, string> {
        return {
            BOUTIQUE_TEST_STS_URL: `${this.base}/v1/token`,
            BOUTIQUE_TEST_STORAGE_URL: this.base,
            GCE_METADATA_TOKEN_URL: `${this.base}${METADATA_TOKEN_PATH}`,
        };
    }

    /** Every secret seen so far, for the leak search. */
    secrets(): { name: string; value: string }[] {
        return [
            ...this.subjectTokens.map((value) => ({ name: "host-signed subject token (JWT)", value })),
            ...this.accessTokens.map((value) => ({ name: "GCS access token", value })),
        ];
    }

    private forward(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): void {
        const url = request.url ?? "/";
        if (url === METADATA_TOKEN_PATH) {
            if (request.headers["metadata-flavor"] !== "Google") return void response.writeHead(403).end("Missing Metadata-Flavor:Google header");
            this.metadataAnswers.push(this.metadataToken);
            response.writeHead(200, { "content-type": "application/json" });
            return void response.end(JSON.stringify({ access_token: this.metadataToken, expires_in: 3599, token_type: "Bearer" }));
        }
        const sts = request.method === "POST" && url === "/v1/token";
        if (sts) this.subjectTokens.push(new URLSearchParams(body.toString("utf8")).get("subject_token") ?? "");
        const upstream = http.request(`${this.target}${url}`, { method: request.method, headers: request.headers }, (answer) => {
            const parts: Buffer[] = [];
            answer.on("data", (chunk: Buffer) => parts.push(chunk));
            answer.on("end", () => {
                const answered = Buffer.concat(parts);
                const ok = (answer.statusCode ?? 500) < 300;
                if (sts && ok) this.accessTokens.push((JSON.parse(answered.toString("utf8")) as { access_token: string }).access_token);
                const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
                if (!sts && ok && bearer) this.acceptedBearers.push(bearer);
                response.writeHead(answer.statusCode ?? 500, answer.headers);
                response.end(answered);
            });
        });
        upstream.on("error", (error) => response.writeHead(502).end(String(error)));
        upstream.end(body);
    }
}
