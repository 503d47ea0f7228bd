import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { loadStackConfigMap } from "../../config/stack-files";
import { evaluateProgram } from "../../render/evaluate";
import { Evaluation } from "../../render/evaluation";
import { MockCloud, unwrapSecrets } from "../../render/mock-cloud";
import { deriveEcdsaKey, deriveEd25519Key, DeterministicRandom, deriveRsaKey } from "../../render/mock-random";
import { PROJECT_ROOT } from "../fixtures";

type State = Record<string, unknown>;

/** Keeps every resource's full state (inputs and mock outputs, secrets unwrapped) by type::name. */
class StateCloud extends MockCloud {
    readonly states = new Map<string, State>();

    override newResource(args: MockResourceArgs): MockResourceResult {
        const result = super.newResource(args);
        this.states.set(`${args.type}::${args.name}`, unwrapSecrets(result.state) as State);
        return result;
    }

    /** `field` of every resource of `type`, by name. */
    field(type: string, field: string): Map<string, string> {
        const found = new Map<string, string>();
        for (const [key, state] of this.states) {
            if (key.startsWith(`${type}::`) && typeof state[field] === "string") found.set(key.slice(type.length + 2), state[field]);
        }
        return found;
    }
}

interface Run {
    readonly cloud: StateCloud;
    readonly evaluation: Evaluation;
}

async function evaluate(stack: string, overrides: Record<string, string> = {}): Promise<Run> {
    const cloud = new StateCloud();
    const config = loadStackConfigMap(PROJECT_ROOT, "dev", overrides);
    return { cloud, evaluation: await evaluateProgram({ projectRoot: PROJECT_ROOT, project: "boutique-platform", stack, cloud, config }) };
}

const PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
const RANDOM_ID = "random:index/randomId:RandomId";
const COMMAND = "command:remote:Command";
const GENERATED: readonly [string, string][] = [
    [PRIVATE_KEY, "publicKeyPem"],
    [RANDOM_ID, "hex"],
    ["random:index/randomBytes:RandomBytes", "hex"],
    ["random:index/randomPassword:RandomPassword", "result"],
];

function renderInto(out: string): Promise<{ status: number | null; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(
            process.execPath,
            [path.join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_ROOT, "render/main.ts"), "--out", out],
            { cwd: PROJECT_ROOT },
        );
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("close", (status) => resolve({ status, stderr }));
    });
}

function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((file) => fs.statSync(path.join(dir, file)).isFile())
        .sort();
}

describe("a render is a pure function of its config", function () {
    this.timeout(240_000);
    let first: Run;
    let second: Run;
    before(async () => {
        first = await evaluate("dev");
        second = await evaluate("dev");
    });

    it("two evaluations in separate mock clouds: identical resources, artifacts, outputs and secrets", () => {
        assert.deepEqual(second.evaluation.resources, first.evaluation.resources);
        assert.deepEqual(second.evaluation.artifacts, first.evaluation.artifacts);
        assert.deepEqual(second.evaluation.stackOutputs, first.evaluation.stackOutputs);
        // Secrets as digests: a secret that differs is a difference here.
        assert.deepEqual(second.evaluation.comparableInputs, first.evaluation.comparableInputs);
        assert.deepEqual(second.cloud.states, first.cloud.states);
        assert.ok(first.cloud.field(PRIVATE_KEY, "privateKeyPem").size >= 5, "the program generates keys");
    });

    it("npm run render twice, in two processes: byte-identical trees", async () => {
        const outs = [fs.mkdtempSync(path.join(os.tmpdir(), "render-a-")), fs.mkdtempSync(path.join(os.tmpdir(), "render-b-"))];
        try {
            const results = await Promise.all(outs.map(renderInto));
            for (const result of results) assert.equal(result.status, 0, result.stderr);
            const [a, b] = outs.map((out) => path.join(out, "dev"));
            const files = filesUnder(a);
            assert.ok(files.includes("resources.json") && files.length > 20, `${files.length} files`);
            assert.deepEqual(filesUnder(b), files);
            for (const file of files)
                assert.ok(fs.readFileSync(path.join(a, file)).equals(fs.readFileSync(path.join(b, file))), `${file} differs between two renders`);
        } finally {
            for (const out of outs) fs.rmSync(out, { recursive: true, force: true });
        }
    });

    it("another stack or clusterName gets other keys, ids, passwords and tokens", async () => {
        for (const other of [await evaluate("staging"), await evaluate("dev", { clusterName: "boutique-qa" })]) {
            for (const [type, field] of [...GENERATED, [COMMAND, "stdout"] as const]) {
                const before = first.cloud.field(type, field);
                const after = other.cloud.field(type, field);
                for (const [name, value] of before) {
                    if (value === "") continue;
                    assert.ok(after.has(name), `${name} exists in both`);
                    assert.notEqual(after.get(name), value, `${type} ${name}.${field} must differ`);
                }
            }
        }
    });

    it("unrelated config (workerCount) keeps every generated value of the resources both have", async () => {
        const scaled = await evaluate("dev", { workerCount: "4" });
        for (const [type, field] of [...GENERATED, [COMMAND, "stdout"] as const]) {
            const after = scaled.cloud.field(type, field);
            for (const [name, value] of first.cloud.field(type, field)) assert.equal(after.get(name), value, `${type} ${name}.${field}`);
        }
    });

    it("the derived keys are real: RSA of the requested size signs and verifies, ED25519 has its OpenSSH line", () => {
        const keys = first.cloud.field(PRIVATE_KEY, "privateKeyPem");
        const publicKeys = first.cloud.field(PRIVATE_KEY, "publicKeyPem");
        for (const [name, privateKeyPem] of keys) {
            const state = first.cloud.states.get(`${PRIVATE_KEY}::${name}`) ?? {};
            const publicKey = crypto.createPublicKey(String(publicKeys.get(name)));
            const payload = Buffer.from(`signed by ${name}`);
            if (state.algorithm === "RSA") {
                assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, Number(state.rsaBits), name);
                assert.equal(publicKey.asymmetricKeyDetails?.publicExponent, 65537n, name);
                assert.ok(crypto.verify("sha256", payload, publicKey, crypto.sign("sha256", payload, privateKeyPem)), name);
            } else {
                assert.equal(state.algorithm, "ED25519", name);
                const blob = Buffer.from(String(state.publicKeyOpenssh).split(" ")[1], "base64");
                assert.match(String(state.publicKeyOpenssh), /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}=?\n$/, name);
                assert.ok(blob.subarray(-32).equals(Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url")), name);
                assert.ok(crypto.verify(null, payload, publicKey, crypto.sign(null, payload, privateKeyPem)), name);
            }
        }
    });

    it("certificates chain to their CA, never expire offline and have distinct serials", () => {
        const certs = [...first.cloud.field("tls:index/locallySignedCert:LocallySignedCert", "certPem")].map(
            ([name, pem]) => [name, new crypto.X509Certificate(pem)] as const,
        );
        assert.ok(certs.length >= 3, `${certs.length} signed certificates`);
        for (const [name, cert] of certs) {
            const state = first.cloud.states.get(`tls:index/locallySignedCert:LocallySignedCert::${name}`) ?? {};
            const ca = new crypto.X509Certificate(String(state.caCertPem));
            assert.ok(cert.verify(ca.publicKey) && ca.verify(ca.publicKey), name);
            assert.equal(new Date(cert.validTo).getUTCFullYear(), 9999, name);
        }
        assert.equal(new Set(certs.map(([, cert]) => cert.serialNumber)).size, certs.length);
    });

    it("join tokens have kubeadm's format and differ per node", () => {
        const tokens = [...first.cloud.field(COMMAND, "stdout").values()].filter((stdout) => stdout !== "");
        assert.ok(tokens.length >= 3, `${tokens.length} tokens`);
        for (const token of tokens) assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
        assert.equal(new Set(tokens).size, tokens.length);
    });
});

describe("the mock cloud's DRBG (render/mock-random.ts)", () => {
    it("is a stream: the same seed and label give the same bytes however they are read, others differ", () => {
        const whole = new DeterministicRandom("p/s", "t::n::key").bytes(100);
        const parts = new DeterministicRandom("p/s", "t::n::key");
        assert.ok(Buffer.concat([parts.bytes(7), parts.bytes(33), parts.bytes(60)]).equals(whole));
        assert.ok(!new DeterministicRandom("p/s2", "t::n::key").bytes(100).equals(whole));
        assert.ok(!new DeterministicRandom("p/s", "t::n::serial").bytes(100).equals(whole));
        // Counter mode, as documented: block 0 = HMAC(HMAC(seed, label), uint32be(0)).
        const key = crypto.createHmac("sha256", "p/s").update("t::n::key").digest();
        assert.ok(whole.subarray(0, 32).equals(crypto.createHmac("sha256", key).update(Buffer.alloc(4)).digest()));
    });

    it("derives RSA keys without a memo: same stream, same key, exactly the requested bits", function () {
        this.timeout(30_000);
        for (const bits of [1024, 2048]) {
            const key = deriveRsaKey(new DeterministicRandom("p/s", `rsa-${bits}`), bits);
            const again = deriveRsaKey(new DeterministicRandom("p/s", `rsa-${bits}`), bits);
            assert.equal(key.export({ type: "pkcs1", format: "pem" }), again.export({ type: "pkcs1", format: "pem" }));
            const jwk = key.export({ format: "jwk" });
            const [n, p, q] = [jwk.n, jwk.p, jwk.q].map((value) => BigInt(`0x${Buffer.from(value ?? "", "base64url").toString("hex")}`));
            assert.equal(n, p * q);
            assert.equal(n.toString(2).length, bits);
            const payload = Buffer.from("payload");
            const signature = crypto.sign("sha256", payload, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING });
            assert.ok(crypto.verify("sha256", payload, { key: crypto.createPublicKey(key), padding: crypto.constants.RSA_PKCS1_PSS_PADDING }, signature));
        }
    });

    it("derives ED25519 and ECDSA keys (every tls provider curve) that sign and verify, deterministically", () => {
        const keys = [
            () => deriveEd25519Key(new DeterministicRandom("p/s", "ed")),
            ...["P224", "P256", "P384", "P521"].map((curve) => () => deriveEcdsaKey(new DeterministicRandom("p/s", curve), curve)),
        ];
        for (const derive of keys) {
            const key = derive();
            assert.equal(derive().export({ type: "pkcs8", format: "der" }).toString("hex"), key.export({ type: "pkcs8", format: "der" }).toString("hex"));
            const algorithm = key.asymmetricKeyType === "ed25519" ? null : "sha256";
            const payload = Buffer.from("payload");
            assert.ok(
                crypto.verify(algorithm, payload, crypto.createPublicKey(key), crypto.sign(algorithm, payload, key)),
                String(key.asymmetricKeyDetails?.namedCurve),
            );
        }
        assert.throws(() => deriveEcdsaKey(new DeterministicRandom("p/s", "x"), "P192"), /unsupported ECDSA curve P192/);
    });

    it("draws below a bound without bias and strings from the alphabet", () => {
        const random = new DeterministicRandom("p/s", "counts");
        const counts = [0, 0, 0];
        for (let i = 0; i < 3000; i++) counts[random.below(3)]++;
        for (const count of counts) assert.ok(count > 900 && count < 1100, counts.join(","));
        assert.match(random.string(40, "ab"), /^[ab]{40}$/);
    });
});
