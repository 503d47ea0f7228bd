import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "../../../components/cluster/rendered/kubeadm-config";
import { encodeFileBundle } from "../../../components/cluster/rendered/node-files";
import { CONTROL_PLANE_BRING_UP_PATHS, JOIN_PATHS, NODE_PATHS, renderBringUpControlPlaneScript } from "../../../components/cluster/rendered/node-scripts";
import { renderEtcdBackupScript } from "../../../components/cluster/rendered/node-scripts-etcd-backup";
import { SERVICE_ACCOUNT_KEY_PATH } from "../../../components/cluster/rendered/node-scripts-google";
import { etcdScriptSettings } from "../../support/etcd-backup-fixtures";
import { EtcdLab } from "../../support/etcd-lab";
import { FakeGoogle } from "../../support/fake-google";
import { requireTool } from "../../support/tools";

/**
 * The restore path with a real etcd (Debian's 3.4): a real snapshot of the lab's member is
 * uploaded, the node is lost (manifests and data dir gone), and the replaced node's bring-up
 * restores it; the fake kubeadm init puts the etcd manifest back, so the lab's fake kubelet
 * starts the real etcd on the restored data dir, and the keys are read back from it.
 */

const settings = etcdScriptSettings();
const { identity } = settings;

// kubeadm: `config images list` names the lab's etcd image; `init` writes the saved etcd manifest (the kubelet starts etcd).
const FAKE_KUBEADM = `#!/usr/bin/env bash
printf 'kubeadm %s\\n' "$*" >>"$FAKE_LAB/calls"
case "$1 $2" in
  "config images") echo "$FAKE_ETCD_IMAGE" ;;
  "init --config") cp "$FAKE_LAB/etcd.yaml.saved" "$BOUTIQUE_TEST_ROOT/etc/kubernetes/manifests/etcd.yaml" ;;
esac
`;
// kubectl: no API server answers until init; the token clean-up after it succeeds.
const FAKE_KUBECTL = `#!/usr/bin/env bash
printf 'kubectl %s\\n' "$*" >>"$FAKE_LAB/calls"
case " $* " in *" get --raw /readyz "*) exit 1 ;; esac
`;

function run(script: string, stdin: string, env: Record<string, string>, dir: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const file = path.join(dir, "script.sh");
    fs.writeFileSync(file, script, { mode: 0o700 });
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [file], { env });
        let [stdout, stderr] = ["", ""];
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timeout = setTimeout(() => child.kill("SIGKILL"), 120_000);
        child.on("error", reject);
        child.stdin.end(stdin);
        child.on("close", (status) => (clearTimeout(timeout), resolve({ status, stdout, stderr })));
    });
}

describe("bring-up of the only control plane: restore into a real etcd on loopback", function () {
    const lab = new EtcdLab();
    let google: FakeGoogle;
    let env: Record<string, string>;

    before(async function () {
        for (const tool of ["etcd", "etcdctl"]) requireTool(this, tool, "apt-get install etcd-server etcd-client");
        for (const tool of ["openssl", "curl", "flock"]) requireTool(this, tool, `apt-get install ${tool === "flock" ? "util-linux" : tool}`);
        await lab.setUp();
        google = new FakeGoogle(lab.googleExpectations(identity));
        const base = await google.start();
        for (const [tool, text] of [
            ["kubeadm", FAKE_KUBEADM],
            ["kubectl", FAKE_KUBECTL],
        ] as const)
            fs.writeFileSync(path.join(lab.bin, tool), text, { mode: 0o755 });
        env = lab.scriptEnv(base);
    });

    after(async () => {
        await google?.stop();
        await lab.tearDown();
    });

    it("restores the newest real snapshot into the data dir that kubeadm init's etcd then serves", async () => {
        const written = new Map(Array.from({ length: 20 }, (_, i) => [`/registry/test/key-${String(i).padStart(2, "0")}`, `value-${i}`]));
        for (const [key, value] of written) lab.etcdctl("put", key, value);
        const backup = await run(renderEtcdBackupScript(settings), "", env, lab.dir);
        assert.equal(backup.status, 0, backup.stderr);
        lab.etcdctl("put", "/registry/test/after-backup", "lost with the node");

        // The VM is lost: a new one has no manifests and no data dir.
        await lab.pause();
        const manifests = lab.path("/etc/kubernetes/manifests");
        fs.copyFileSync(path.join(manifests, "etcd.yaml"), path.join(lab.dir, "etcd.yaml.saved"));
        for (const file of fs.readdirSync(manifests)) fs.rmSync(path.join(manifests, file));
        fs.rmSync(lab.path("/var/lib/etcd"), { recursive: true, force: true });
        lab.resume();

        fs.mkdirSync(path.dirname(lab.path(NODE_PATHS.prepared)), { recursive: true });
        fs.writeFileSync(lab.path(NODE_PATHS.prepared), "v1.32.4\n");
        const bundle = encodeFileBundle([
            { path: SERVICE_ACCOUNT_KEY_PATH, mode: "0600", content: lab.serviceAccountKey.privateKey.export({ type: "pkcs1", format: "pem" }).toString() },
            { path: CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig, mode: "0600", content: "kind: Config\n" },
            {
                path: JOIN_PATHS.joinConfig,
                mode: "0644",
                content: `kind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: ${BOOTSTRAP_TOKEN_PLACEHOLDER}\n`,
            },
            { path: CONTROL_PLANE_BRING_UP_PATHS.initConfig, mode: "0644", content: "kind: InitConfiguration\n" },
        ]);
        const script = renderBringUpControlPlaneScript({
            nodeName: "boutique-cp-0",
            nodeAddress: "127.0.0.1",
            apiServerEndpoint: "127.0.0.1:6443",
            mayInitialize: false,
            restore: { enabled: true, clusterName: "boutique", identity },
        });
        const restored = await run(script, bundle, { ...env, BOUTIQUE_TEST_WAIT_SECONDS: "0" }, lab.dir);
        assert.equal(restored.status, 0, restored.stderr);
        assert.match(restored.stdout, /^restored etcd from gs:\/\/\S+\/boutique\/boutique-cp-0\/\d{8}T\d{6}Z-scheduled\.db \(taken \S+\)\n$/);

        await lab.waitForEtcd(true, 30);
        const lines = lab.etcdctl("get", "--prefix", "/registry/test/").split("\n").filter(Boolean);
        const keys = new Map<string, string>();
        for (let i = 0; i + 1 < lines.length; i += 2) keys.set(lines[i], lines[i + 1]);
        assert.deepEqual(keys, written, "exactly the snapshot's keys: the write after it is gone");
        const members = lab.etcdctl("member", "list");
        assert.match(members, /, started, boutique-cp-0, https:\/\/127\.0\.0\.1:2380, /);
        const calls = lab.calls();
        const restoreCall = calls.findIndex((call) => / etcdctl snapshot restore /.test(call));
        const initCall = calls.findIndex((call) => /^kubeadm init .*--ignore-preflight-errors=DirAvailable--var-lib-etcd$/.test(call));
        assert.ok(restoreCall >= 0 && initCall > restoreCall, calls.join("\n"));
    });
});
