import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { renderEtcdBackupScript } from "../../components/cluster/rendered/node-scripts-etcd-backup";
import { renderEtcdRestoreScript } from "../../components/cluster/rendered/node-scripts-etcd-restore";
import { HOST_TOKEN_LIFETIME_SECONDS } from "../../components/cluster/rendered/node-scripts-google";
import { serviceAccountJwks, serviceAccountKeyId } from "../../components/cluster/pki";
import { etcdScriptSettings } from "../support/etcd-backup-fixtures";
import { EtcdLab } from "../support/etcd-lab";
import { FakeGoogle, FakeGoogleExpectations } from "../support/fake-google";
import { requireTool } from "../support/tools";

interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly seconds: number;
}

const KEY_COUNT = 100;
const settings = etcdScriptSettings();
const { identity } = settings;
const OBJECT_NAME = /^gs:\/\/boutique-dev-000000-boutique-etcd-a1b2c3\/(boutique\/boutique-cp-0\/\d{8}T\d{6}Z-([a-z-]+)\.db)\n$/;

/** Runs a rendered script with bash, asynchronously (the fake Google answers from this process). */
function run(script: string, args: readonly string[], env: Record<string, string>, dir: string): Promise<Run> {
    const file = path.join(dir, `script-${crypto.randomBytes(4).toString("hex")}.sh`);
    fs.writeFileSync(file, script, { mode: 0o700 });
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [file, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        let [stdout, stderr] = ["", ""];
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timeout = setTimeout(() => child.kill("SIGKILL"), 180_000);
        child.on("error", reject);
        child.on("close", (status) => {
            clearTimeout(timeout);
            resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
        });
    });
}

describe("etcd backup and restore: the rendered scripts against a real etcd on loopback", function () {
    const lab = new EtcdLab();
    let google: FakeGoogle;
    let expectations: FakeGoogleExpectations;
    let env: Record<string, string>;
    const written = new Map<string, string>();

    before(async function () {
        for (const tool of ["etcd", "etcdctl"]) requireTool(this, tool, "apt-get install etcd-server etcd-client");
        for (const tool of ["openssl", "curl", "flock"]) requireTool(this, tool, `apt-get install ${tool === "flock" ? "util-linux" : tool}`);
        await lab.setUp();
        expectations = lab.googleExpectations(identity);
        google = new FakeGoogle(expectations);
        env = await googleEnv(google);
    });

    after(async () => {
        await google?.stop();
        await lab.tearDown();
    });

    const googleEnv = async (fake: FakeGoogle): Promise<Record<string, string>> => lab.scriptEnv(await fake.start());

    const backup = (reason: string[], extra: Record<string, string> = {}, environment = env) =>
        run(renderEtcdBackupScript(settings), reason, { ...environment, ...extra }, lab.dir);
    const restore = (args: string[], extra: Record<string, string> = {}, expectedMembers = 1) =>
        run(renderEtcdRestoreScript({ ...settings, expectedMembers }), args, { ...env, ...extra }, lab.dir);

    function readKeys(): Map<string, string> {
        const lines = lab.etcdctl("get", "--prefix", "/registry/test/").split("\n").filter(Boolean);
        const keys = new Map<string, string>();
        for (let i = 0; i + 1 < lines.length; i += 2) keys.set(lines[i], lines[i + 1]);
        return keys;
    }

    const snapshotLeftovers = () => fs.readdirSync(lab.path("/var/lib/etcd")).filter((file) => file.startsWith("boutique-snapshot"));
    const keptDataDirs = () => fs.readdirSync(lab.path("/var/lib")).filter((file) => file.startsWith("etcd.before-restore-"));
    const manifests = () => fs.readdirSync(lab.path("/etc/kubernetes/manifests")).sort();

    it("backs up with a host-signed token, survives a wiped data dir and restores the same keys (--latest)", async () => {
        const ops = Array.from({ length: KEY_COUNT }, (_, i) => [
            `/registry/test/key-${String(i).padStart(3, "0")}`,
            `value-${i}-${crypto.randomBytes(8).toString("hex")}`,
        ]);
        for (const [key, value] of ops) written.set(key, value);
        for (const [key, value] of ops) lab.etcdctl("put", key, value);
        assert.equal(readKeys().size, KEY_COUNT);
        // An older snapshot of another control plane that is not a snapshot at all: --latest must pass it by.
        google.objects.set("boutique/boutique-cp-1/20000101T000000Z-scheduled.db", { data: Buffer.from("not a snapshot"), generation: 1 });

        const first = await backup(["pre-upgrade"]);
        assert.equal(first.status, 0, first.stderr);
        const [, object, reason] = OBJECT_NAME.exec(first.stdout) ?? assert.fail(`unexpected stdout ${first.stdout}`);
        assert.equal(reason, "pre-upgrade");
        assert.ok((google.objects.get(object)?.data.length ?? 0) > 0, "the snapshot was uploaded");
        const second = await backup([]);
        assert.equal(second.status, 0, second.stderr);
        assert.equal(OBJECT_NAME.exec(second.stdout)?.[2], "scheduled", "no argument means a scheduled backup");
        assert.deepEqual(snapshotLeftovers(), [], "nothing is left in etcd's data dir");

        // What STS verified: the program's kid (from the public key), issuer, audience, subject, 5 minutes.
        const exchange = google.granted[0];
        assert.equal(exchange.header.kid, serviceAccountKeyId(lab.serviceAccountPublicKeyPem));
        assert.deepEqual(
            [exchange.claims.iss, exchange.claims.aud, exchange.claims.sub],
            [expectations.issuer, expectations.tokenAudience, expectations.subject],
        );
        assert.equal(Number(exchange.claims.exp) - Number(exchange.claims.iat), HOST_TOKEN_LIFETIME_SECONDS);

        await lab.pause();
        fs.rmSync(lab.path("/var/lib/etcd"), { recursive: true, force: true });
        lab.resume();
        await lab.waitForEtcd(true);
        assert.equal(readKeys().size, 0, "the wiped member starts empty");

        const restored = await restore(["--latest"]);
        assert.equal(restored.status, 0, restored.stderr);
        assert.match(restored.stdout, /^restored gs:\/\/\S+\/boutique\/boutique-cp-0\/\S+ into \/var\/lib\/etcd\n$/);
        assert.deepEqual(readKeys(), written);
        assert.deepEqual(manifests(), ["etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"]);
        assert.equal(keptDataDirs().length, 1, "the replaced data dir is kept aside");
        const calls = lab.calls();
        assert.ok(calls.some((call) => /^ctr -n k8s\.io run --rm --mount \S+ \S+ \S+ etcdctl snapshot restore .* --name boutique-cp-0 /.test(call)));
        assert.ok(!calls.some((call) => call.includes("--bump-revision")), "etcdctl cannot bump revisions");
        console.log(
            `      ${KEY_COUNT} keys written, backed up in ${first.seconds.toFixed(1)}s, restored ${readKeys().size} after a wipe in ${restored.seconds.toFixed(1)}s`,
        );
    });

    it("restores a live member from a named object with etcdutl, bumping the revision, and keeps the old data aside", async () => {
        const withEtcdutl = { FAKE_IMAGE_HAS_ETCDUTL: "1" };
        const saved = await backup(["scheduled"], withEtcdutl);
        assert.equal(saved.status, 0, saved.stderr);
        const object = OBJECT_NAME.exec(saved.stdout)?.[1] ?? assert.fail(saved.stdout);
        assert.ok(lab.calls().some((call) => /^crictl exec \S+ etcdutl snapshot status \/var\/lib\/etcd\/boutique-snapshot-/.test(call)));
        lab.etcdctl("del", "--prefix", "/registry/test/key-00");
        lab.etcdctl("put", "/registry/test/after-backup", "x");
        assert.notDeepEqual(readKeys(), written);

        const restored = await restore(["--object", object], withEtcdutl);
        assert.equal(restored.status, 0, restored.stderr);
        assert.deepEqual(readKeys(), written);
        assert.ok(lab.calls().some((call) => / etcdutl snapshot restore .* --bump-revision 1000000000 --mark-compacted$/.test(call)));
        assert.equal(keptDataDirs().length, 2);
        console.log(`      restored ${readKeys().size} keys over a live member in ${restored.seconds.toFixed(1)}s`);
    });

    it("fails loudly and uploads nothing when STS does not trust the token or refuses", async () => {
        const stranger = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
        const distrustful = new FakeGoogle({ ...expectations, jwks: serviceAccountJwks(stranger) });
        try {
            const refused = await backup(["scheduled"], {}, await googleEnv(distrustful));
            assert.notEqual(refused.status, 0);
            assert.match(refused.stderr, /token exchange at \S+: HTTP 400: .*no key with kid/);
            assert.equal(distrustful.objects.size, 0);
        } finally {
            await distrustful.stop();
        }
        const before = google.objects.size;
        google.stsOutage = 403;
        try {
            const down = await backup(["scheduled"]);
            assert.notEqual(down.status, 0);
            assert.match(down.stderr, /HTTP 403/);
        } finally {
            google.stsOutage = undefined;
        }
        assert.equal(google.objects.size, before);
        assert.deepEqual(snapshotLeftovers(), []);
    });

    it("fails on a missing object without touching the data dir or the static pods", async () => {
        const member = fs.statSync(lab.path("/var/lib/etcd/member"));
        const kept = keptDataDirs();
        const missing = await restore(["--object", "boutique/boutique-cp-0/20990101T000000Z-scheduled.db"]);
        assert.notEqual(missing.status, 0);
        assert.match(missing.stderr, /download of gs:\/\/\S+: HTTP 404/);
        assert.equal(fs.statSync(lab.path("/var/lib/etcd/member")).ino, member.ino);
        assert.deepEqual(keptDataDirs(), kept);
        assert.equal(manifests().length, 4);
        assert.deepEqual(readKeys(), written);
    });

    it("refuses a cluster of three members unless told, and changes nothing", async () => {
        await lab.pause(); // etcd cannot be asked: the rendered member count decides
        try {
            const refused = await restore(["--latest"], {}, 3);
            assert.notEqual(refused.status, 0);
            assert.match(refused.stderr, /the cluster has 3 etcd members: restoring one of them is a different procedure/);
            assert.equal(manifests().length, 4);
        } finally {
            lab.resume();
        }
        await lab.waitForEtcd(true);
        assert.deepEqual(readKeys(), written);
    });
});
