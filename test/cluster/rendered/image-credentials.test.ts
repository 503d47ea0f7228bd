import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import {
    IMAGE_CREDENTIALS,
    imageCredentialKubeletArgs,
    renderImageCredentialConfig,
    renderImageCredentialProvider,
} from "../../../components/cluster/rendered/image-credentials";
import { renderPrepareNodeScript } from "../../../components/cluster/rendered/node-scripts";
import { PROJECT_ROOT } from "../../fixtures";
import { evaluateDev, ofType } from "../../support/program";
import { shellcheck } from "../../support/scripts-shellcheck";
import { requireTool } from "../../support/tools";

const REQUEST = JSON.stringify({
    kind: "CredentialProviderRequest",
    apiVersion: IMAGE_CREDENTIALS.protocol,
    image: "europe-west1-docker.pkg.dev/p/platform/boutique-scaler:0.1.0",
});

/** The kubelet's matchImages rule for a host: as many labels as the pattern, "*" matching one label. */
function hostMatches(pattern: string, host: string): boolean {
    const [want, have] = [pattern.split("."), host.split(".")];
    return want.length === have.length && want.every((label, i) => label === "*" || label === have[i]);
}

/** The metadata server's token endpoint on loopback: records the request headers, answers `body` with `status`. */
async function metadataServer(status: number, body: string): Promise<{ url: string; headers: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
    const headers: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((request, response) => {
        headers.push(request.headers);
        response.writeHead(status, { "content-type": "application/json" });
        response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/computeMetadata/v1/instance/service-accounts/default/token`;
    return { url, headers, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("image credentials: the kubelet signs pulls from Google's registries with the node's identity", function () {
    this.timeout(30_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-credentials-"));
    const provider = path.join(dir, IMAGE_CREDENTIALS.providerName);
    fs.writeFileSync(provider, renderImageCredentialProvider(), { mode: 0o755 });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const runProvider = (tokenUrl: string): Promise<{ code: number; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
            const child = execFile(provider, [], { env: { PATH: process.env.PATH, GCE_METADATA_TOKEN_URL: tokenUrl } }, (error, stdout, stderr) =>
                resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
            );
            child.stdin?.end(REQUEST);
        });

    it("the provider passes shellcheck", function () {
        requireTool(this, "shellcheck", "apt-get install shellcheck");
        const check = shellcheck(renderImageCredentialProvider());
        assert.ok(check.passed, check.report);
    });

    it("answers the kubelet's request with the metadata server's token for every matched registry, cached until 5 minutes before expiry", async function () {
        requireTool(this, "curl", "apt-get install curl");
        const metadata = await metadataServer(200, '{"access_token":"ya29.node-token","expires_in":3599,"token_type":"Bearer"}');
        try {
            const result = await runProvider(metadata.url);
            assert.deepEqual([result.code, result.stderr], [0, ""]);
            const credential = { username: "oauth2accesstoken", password: "ya29.node-token" };
            assert.deepEqual(JSON.parse(result.stdout), {
                kind: "CredentialProviderResponse",
                apiVersion: IMAGE_CREDENTIALS.protocol,
                cacheKeyType: "Registry",
                cacheDuration: "3299s",
                auth: Object.fromEntries(IMAGE_CREDENTIALS.matchImages.map((pattern) => [pattern, credential])),
            });
            assert.equal(metadata.headers[0]["metadata-flavor"], "Google", "the metadata server answers only with this header");
        } finally {
            await metadata.close();
        }
    });

    it("does not cache a token about to expire, and fails (no answer) when the metadata server does", async function () {
        requireTool(this, "curl", "apt-get install curl");
        const expiring = await metadataServer(200, '{"access_token":"ya29.short","expires_in":120}');
        const failing = await metadataServer(500, "");
        try {
            assert.equal((JSON.parse((await runProvider(expiring.url)).stdout) as { cacheDuration: string }).cacheDuration, "0s");
            const failed = await runProvider(failing.url);
            assert.notEqual(failed.code, 0);
            assert.equal(failed.stdout, "");
        } finally {
            await Promise.all([expiring.close(), failing.close()]);
        }
    });

    it("the kubelet's config names the provider by its file name, speaks its protocol, and matches the scaler's registry", () => {
        const config = parse(renderImageCredentialConfig()) as {
            apiVersion: string;
            kind: string;
            providers: { name: string; matchImages: string[]; apiVersion: string }[];
        };
        assert.deepEqual([config.apiVersion, config.kind], ["kubelet.config.k8s.io/v1", "CredentialProviderConfig"]);
        assert.deepEqual(
            config.providers.map((entry) => [entry.name, entry.apiVersion]),
            [[path.basename(provider), IMAGE_CREDENTIALS.protocol]],
        );
        const dev = parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, { scalerImage: string }> };
        const registry = dev.config["boutique-platform:autoscaler"].scalerImage.split("/")[0];
        assert.ok(
            config.providers[0].matchImages.some((pattern) => hostMatches(pattern, registry)),
            registry,
        );
        assert.ok(!config.providers[0].matchImages.some((pattern) => hostMatches(pattern, "registry.k8s.io")), "other registries pull without it");
    });

    it("every node installs both at each boot, before anything else is decided, and its kubelet is told", async () => {
        const script = renderPrepareNodeScript({ kubernetesVersion: { minor: 32, patch: 4 } });
        const installed = (delimiter: string) => new RegExp(`<<'${delimiter}' \\|\\| true\\n([\\s\\S]*?)${delimiter}\\n`).exec(script)?.[1];
        assert.equal(installed("PROVIDER"), renderImageCredentialProvider());
        assert.equal(installed("CONFIG"), renderImageCredentialConfig());
        const main = script.slice(script.indexOf("\nmain() {"));
        assert.ok(main.indexOf("install_image_credential_provider") < main.indexOf("already prepared"), "ensured before the early return");
        const evaluation = await evaluateDev();
        const join = evaluation.artifacts["nodes/worker-0/kubeadm-join.yaml"];
        for (const [flag, value] of Object.entries(imageCredentialKubeletArgs())) assert.match(join, new RegExp(`name: ${flag}\\n\\s+value: ${value}`));
        const reader = ofType(evaluation, "gcp:projects/iAMMember:IAMMember").filter((grant) => grant.inputs.role === "roles/artifactregistry.reader");
        assert.deepEqual(
            reader.map((grant) => grant.name),
            ["nodes-sa-artifactregistry-reader"],
            "the nodes' account (only) may read Artifact Registry",
        );
    });
});
