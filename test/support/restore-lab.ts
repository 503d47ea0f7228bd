import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "../../components/cluster/rendered/kubeadm-config";
import { encodeFileBundle, NodeFile } from "../../components/cluster/rendered/node-files";
import { CONTROL_PLANE_BRING_UP_PATHS, JOIN_PATHS, NODE_PATHS } from "../../components/cluster/rendered/node-scripts";
import { SERVICE_ACCOUNT_KEY_PATH } from "../../components/cluster/rendered/node-scripts-google";
import { serviceAccountJwks } from "../../components/cluster/pki";
import { providerAudience, providerTokenAudience, serviceAccountSubject } from "../../components/shared/workload-identity";
import { etcdScriptSettings } from "./etcd-backup-fixtures";
import { FakeGoogle } from "./fake-google";
import { ScriptRun, ScriptSandbox, StubRule } from "./scripts-sandbox";

/**
 * A replaced single control plane for the bring-up's restore path: a sandbox with stub kubeadm
 * and kubectl (no API server answers), a fake `ctr` that plays etcd's image (snapshot status
 * accepts files that start with "etcd-snapshot"; snapshot restore writes a data dir recording
 * what it restored and as whom), and the etcd backup tests' fake Google, whose STS checks the
 * host-signed token against the JWKS of the service-account key the bundle installs.
 */

export const IDENTITY = etcdScriptSettings().identity;
export const ETCD_IMAGE = "registry.k8s.io/etcd:3.5.16-0";
export const INIT_CONFIG = "kind: InitConfiguration\n";

/** `ctr -n k8s.io ...` as the bring-up uses it; FAKE_RESTORE_FAIL=1 makes a restore die halfway through writing. */
const FAKE_CTR = `#!/usr/bin/env bash
set -u
line=ctr
for arg in "$@"; do line+=" $arg"; done
printf '%s\\n' "$line" >>"$STUB_DIR/calls"
shift 2
case "$1 $2" in
  "images ls") exit 0 ;;
  "images pull") exit 0 ;;
esac
shift # run
while [[ $1 == --* ]]; do if [ "$1" = --mount ]; then shift 2; else shift; fi; done
shift 2 # image, container id
tool=$1
shift
[ "$tool" = etcdctl ] || { echo "exec: \\"$tool\\": executable file not found in \\$PATH" >&2; exit 127; }
case "$1 $2" in
  "snapshot status")
    head -c 13 "$BOUTIQUE_TEST_ROOT$3" | grep -q '^etcd-snapshot' || { echo "Error: invalid database" >&2; exit 1; }
    printf '{"hash":1,"revision":42,"totalKey":7,"totalSize":4096}\\n' ;;
  "snapshot restore")
    snapshot=$BOUTIQUE_TEST_ROOT$3; shift 3
    data="" name="" cluster="" peer=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --data-dir) data=$BOUTIQUE_TEST_ROOT$2 ;;
        --name) name=$2 ;;
        --initial-cluster) cluster=$2 ;;
        --initial-advertise-peer-urls) peer=$2 ;;
      esac
      shift 2
    done
    mkdir -p "$data/member"
    echo partial >"$data/member/wal-partial"
    [ "\${FAKE_RESTORE_FAIL:-0}" != 1 ] || { echo "Error: disk full" >&2; exit 1; }
    rm "$data/member/wal-partial"
    { cat "$snapshot"; echo; echo "name=$name"; echo "initial-cluster=$cluster"; echo "peer=$peer"; } >"$data/member/restored" ;;
  *) echo "fake ctr: unexpected $*" >&2; exit 2 ;;
esac
`;

export const NO_CLUSTER: StubRule = { match: "get --raw /readyz", exit: 1 };
export const IMAGES: StubRule = {
    match: "^kubeadm config images list ",
    stdout: `registry.k8s.io/kube-apiserver:v1.32.4\n${ETCD_IMAGE}\nregistry.k8s.io/coredns/coredns:v1.11.3\n`,
};

export class RestoreLab {
    readonly sandbox: ScriptSandbox;
    readonly google: FakeGoogle;
    private readonly key = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    private base = "";

    constructor(rules: readonly StubRule[] = [NO_CLUSTER, IMAGES]) {
        this.sandbox = new ScriptSandbox(["kubeadm", "kubectl"], rules);
        fs.writeFileSync(path.join(this.sandbox.dir, "bin", "ctr"), FAKE_CTR, { mode: 0o755 });
        this.sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
        const publicKeyPem = this.key.publicKey.export({ type: "spki", format: "pem" }).toString();
        this.google = new FakeGoogle({
            jwks: serviceAccountJwks(publicKeyPem),
            issuer: IDENTITY.issuer,
            providerAudience: providerAudience(IDENTITY.federation),
            tokenAudience: providerTokenAudience(IDENTITY.federation),
            subject: serviceAccountSubject(IDENTITY.serviceAccount),
            bucket: IDENTITY.bucket,
        });
    }

    async start(): Promise<void> {
        this.base = await this.google.start();
    }

    /** Stores objects in the fake bucket: name -> content. */
    store(objects: Readonly<Record<string, string>>): void {
        for (const [name, content] of Object.entries(objects)) this.google.objects.set(name, { data: Buffer.from(content), generation: 1 });
    }

    /** The bring-up's stdin: the program's sa.key, the bring-up kubeconfig, the join config and (for an enabled restore) the init config. */
    bundle(withInitConfig: boolean): string {
        const files: NodeFile[] = [
            { path: SERVICE_ACCOUNT_KEY_PATH, mode: "0600", content: this.key.privateKey.export({ type: "pkcs1", format: "pem" }).toString() },
            { path: CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig, mode: "0600", content: "kind: Config\n" },
            {
                path: JOIN_PATHS.joinConfig,
                mode: "0644",
                content: `kind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: ${BOOTSTRAP_TOKEN_PLACEHOLDER}\n`,
            },
            ...(withInitConfig ? [{ path: CONTROL_PLANE_BRING_UP_PATHS.initConfig, mode: "0644" as const, content: INIT_CONFIG }] : []),
        ];
        return encodeFileBundle(files);
    }

    /** Runs the script with bash without blocking this process, which answers as Google. */
    run(script: string, stdin: string, env: Record<string, string> = {}): Promise<ScriptRun> {
        const dir = this.sandbox.dir;
        fs.rmSync(path.join(dir, "calls"), { force: true });
        fs.writeFileSync(path.join(dir, "script.sh"), script, { mode: 0o700 });
        return new Promise((resolve, reject) => {
            const child = spawn("bash", [path.join(dir, "script.sh")], {
                env: {
                    PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
                    STUB_DIR: dir,
                    BOUTIQUE_TEST_ROOT: this.sandbox.root,
                    BOUTIQUE_TEST_WAIT_SECONDS: "0",
                    BOUTIQUE_TEST_STS_URL: `${this.base}/v1/token`,
                    BOUTIQUE_TEST_STORAGE_URL: this.base,
                    ...env,
                },
            });
            let [stdout, stderr] = ["", ""];
            child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
            child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
            const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
            child.on("error", reject);
            child.stdin.end(stdin);
            child.on("close", (status) => {
                clearTimeout(timeout);
                const file = path.join(dir, "calls");
                const calls = fs.existsSync(file)
                    ? fs
                          .readFileSync(file, "utf8")
                          .split("\n")
                          .filter((line) => line !== "")
                    : [];
                resolve({ status, stdout, stderr, calls: calls.map((call) => call.split(this.sandbox.root).join("")) });
            });
        });
    }

    async stop(): Promise<void> {
        await this.google.stop();
        this.sandbox.cleanup();
    }
}
