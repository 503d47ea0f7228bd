import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { STOPPED_STATIC_PODS } from "../../components/cluster/rendered/node-scripts-etcd-restore";
import { HostIdentity } from "../../components/cluster/rendered/node-scripts-google";
import { serviceAccountJwks } from "../../components/cluster/pki";
import { providerAudience, providerTokenAudience, serviceAccountSubject } from "../../components/shared/workload-identity";
import { FakeGoogleExpectations } from "./fake-google";

/**
 * A kubeadm-shaped control plane on loopback for the etcd scripts: a temp root with kubeadm's
 * etcd PKI (openssl) and service-account key, static pod manifests, a real etcd (Debian's
 * etcd-server) run by a fake kubelet that follows the manifests, and fake `crictl`/`ctr` that
 * run the real etcdctl as if inside the etcd image (its host mounts rewritten into the root).
 */

/** The fake crictl and ctr (and the functions they share), copied into the lab's bin. */
const FAKES_DIR = path.join(__dirname, "etcd-fakes");
const FAKE_FILES = ["crictl", "ctr", "image-tools.sh"] as const;

export const ETCD_IMAGE = "registry.k8s.io/etcd:3.5.16-0";
const DATA_DIR = "/var/lib/etcd";
const PKI = "/etc/kubernetes/pki/etcd";

async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

export class EtcdLab {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-lab-"));
    readonly root = path.join(this.dir, "root");
    readonly bin = path.join(this.dir, "bin");
    readonly serviceAccountKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    clientPort = 0;
    private etcd: ChildProcess | undefined;
    private timer: NodeJS.Timeout | undefined;
    private paused = false;

    /** Host path of `file`, a path as the node sees it. */
    path(file: string): string {
        return path.join(this.root, file);
    }

    get serviceAccountPublicKeyPem(): string {
        return this.serviceAccountKey.publicKey.export({ type: "spki", format: "pem" }).toString();
    }

    get endpoint(): string {
        return `https://127.0.0.1:${this.clientPort}`;
    }

    /** What the fake Google must check for `identity`: it trusts this lab's service-account key. */
    googleExpectations(identity: HostIdentity): FakeGoogleExpectations {
        return {
            jwks: serviceAccountJwks(this.serviceAccountPublicKeyPem),
            issuer: identity.issuer,
            providerAudience: providerAudience(identity.federation),
            tokenAudience: providerTokenAudience(identity.federation),
            subject: serviceAccountSubject(identity.serviceAccount),
            bucket: identity.bucket,
        };
    }

    /**
     * The environment a rendered script runs in against this lab: the lab's fakes first on PATH,
     * the node's paths under the lab's root, and Google's STS and GCS at `googleBase` (a started
     * fake Google), so every script the tests run sees the same node.
     */
    scriptEnv(googleBase: string): Record<string, string> {
        return {
            PATH: `${this.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
            BOUTIQUE_TEST_ROOT: this.root,
            BOUTIQUE_TEST_WAIT_SECONDS: "60",
            BOUTIQUE_TEST_STS_URL: `${googleBase}/v1/token`,
            BOUTIQUE_TEST_STORAGE_URL: googleBase,
            FAKE_LAB: this.dir,
            FAKE_ETCD_IMAGE: ETCD_IMAGE,
        };
    }

    async setUp(): Promise<void> {
        for (const dir of ["running", "bin"]) fs.mkdirSync(path.join(this.dir, dir), { recursive: true });
        for (const file of FAKE_FILES) {
            fs.copyFileSync(path.join(FAKES_DIR, file), path.join(this.bin, file));
            fs.chmodSync(path.join(this.bin, file), 0o755);
        }
        fs.mkdirSync(this.path(PKI), { recursive: true });
        this.makeEtcdPki();
        fs.writeFileSync(this.path("/etc/kubernetes/pki/sa.key"), this.serviceAccountKey.privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
        const [client, peer, metrics] = [await freePort(), await freePort(), await freePort()];
        this.clientPort = client;
        fs.mkdirSync(this.path("/etc/kubernetes/manifests"), { recursive: true });
        fs.writeFileSync(this.path("/etc/kubernetes/manifests/etcd.yaml"), this.etcdManifest(client, peer, metrics));
        for (const pod of STOPPED_STATIC_PODS.filter((pod) => pod !== "etcd")) {
            fs.writeFileSync(
                this.path(`/etc/kubernetes/manifests/${pod}.yaml`),
                `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${pod}\n  namespace: kube-system\n`,
            );
        }
        this.timer = setInterval(() => this.sync(), 100);
        await this.waitForEtcd(true);
    }

    /** kubeadm's etcd manifest, with the flags etcd 3.4 also knows. */
    private etcdManifest(client: number, peer: number, metrics: number): string {
        const flags = [
            `advertise-client-urls=https://127.0.0.1:${client}`,
            `cert-file=${PKI}/server.crt`,
            "client-cert-auth=true",
            `data-dir=${DATA_DIR}`,
            `initial-advertise-peer-urls=https://127.0.0.1:${peer}`,
            `initial-cluster=boutique-cp-0=https://127.0.0.1:${peer}`,
            `key-file=${PKI}/server.key`,
            `listen-client-urls=https://127.0.0.1:${client}`,
            `listen-metrics-urls=http://127.0.0.1:${metrics}`,
            `listen-peer-urls=https://127.0.0.1:${peer}`,
            "name=boutique-cp-0",
            `peer-cert-file=${PKI}/peer.crt`,
            "peer-client-cert-auth=true",
            `peer-key-file=${PKI}/peer.key`,
            `peer-trusted-ca-file=${PKI}/ca.crt`,
            "snapshot-count=10000",
            `trusted-ca-file=${PKI}/ca.crt`,
        ];
        return [
            "apiVersion: v1",
            "kind: Pod",
            "metadata:",
            "  name: etcd",
            "  namespace: kube-system",
            "spec:",
            "  containers:",
            "  - command:",
            "    - etcd",
            ...flags.map((flag) => `    - --${flag}`),
            `    image: ${ETCD_IMAGE}`,
            "    name: etcd",
            "",
        ].join("\n");
    }

    private makeEtcdPki(): void {
        const file = (name: string) => this.path(`${PKI}/${name}`);
        const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("ca.key"), "-out", file("ca.crt"), "-days", "2", "-subj", "/CN=etcd-ca");
        const issue = (name: string, cn: string, extensions: string) => {
            const ext = file(`${name}.ext`);
            fs.writeFileSync(ext, extensions);
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", file(`${name}.key`), "-out", file(`${name}.csr`), "-subj", `/CN=${cn}`);
            openssl(
                "x509",
                "-req",
                "-in",
                file(`${name}.csr`),
                "-CA",
                file("ca.crt"),
                "-CAkey",
                file("ca.key"),
                "-CAcreateserial",
                "-out",
                file(`${name}.crt`),
                "-days",
                "2",
                "-extfile",
                ext,
            );
        };
        const serving = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n";
        issue("server", "boutique-cp-0", serving);
        issue("peer", "boutique-cp-0", serving);
        issue("healthcheck-client", "kube-etcd-healthcheck-client", "extendedKeyUsage=clientAuth\n");
    }

    /** The fake kubelet: etcd runs exactly while its manifest is in place; the other pods are just recorded. */
    private sync(): void {
        if (this.paused) return;
        const manifests = this.path("/etc/kubernetes/manifests");
        for (const pod of STOPPED_STATIC_PODS) {
            const present = fs.existsSync(path.join(manifests, `${pod}.yaml`));
            if (pod === "etcd") {
                if (present && !this.etcd) this.startEtcd(path.join(manifests, "etcd.yaml"));
                if (!present && this.etcd) this.etcd.kill("SIGTERM");
                continue;
            }
            const running = path.join(this.dir, "running", pod);
            if (present) fs.writeFileSync(running, `container-${pod}\n`);
            else fs.rmSync(running, { force: true });
        }
    }

    private startEtcd(manifest: string): void {
        const flags = fs
            .readFileSync(manifest, "utf8")
            .split("\n")
            .map((line) => /^\s*- (--[a-z-]+=.*)$/.exec(line)?.[1])
            .filter((flag): flag is string => flag !== undefined)
            .map((flag) => flag.replace(/=(\/(var\/lib|etc\/kubernetes)\/)/, `=${this.root}$1`));
        const log = fs.openSync(path.join(this.dir, "etcd.log"), "a");
        const etcd = spawn("etcd", flags, { stdio: ["ignore", log, log] });
        fs.closeSync(log);
        this.etcd = etcd;
        const running = path.join(this.dir, "running", "etcd");
        fs.writeFileSync(running, `container-etcd-${etcd.pid}\n`);
        etcd.on("exit", () => {
            if (this.etcd === etcd) this.etcd = undefined;
            if (fs.readFileSync(running, "utf8").trim() === `container-etcd-${etcd.pid}`) fs.rmSync(running, { force: true });
        });
    }

    /** Stops etcd and the kubelet (a crashed member); `resume` lets the kubelet start it again. */
    async pause(): Promise<void> {
        this.paused = true;
        this.etcd?.kill("SIGTERM");
        await this.waitForEtcd(false);
    }

    resume(): void {
        this.paused = false;
    }

    /** The real etcdctl against the lab's etcd with the health-check client certificate. */
    etcdctl(...args: string[]): string {
        const certs = [
            "--cacert",
            this.path(`${PKI}/ca.crt`),
            "--cert",
            this.path(`${PKI}/healthcheck-client.crt`),
            "--key",
            this.path(`${PKI}/healthcheck-client.key`),
        ];
        return execFileSync("etcdctl", ["--endpoints", this.endpoint, ...certs, ...args], {
            encoding: "utf8",
            env: { ...process.env, ETCDCTL_API: "3" },
            stdio: ["pipe", "pipe", "pipe"],
        });
    }

    async waitForEtcd(up: boolean, seconds = 20): Promise<void> {
        const deadline = Date.now() + seconds * 1000;
        for (;;) {
            let healthy: boolean;
            try {
                this.etcdctl("endpoint", "health", "--command-timeout=1s");
                healthy = true;
            } catch {
                healthy = false;
            }
            if (healthy === up && (up || !this.etcd)) return;
            if (Date.now() > deadline) throw new Error(`etcd did not ${up ? "start" : "stop"} within ${seconds}s; log: ${this.etcdLog().slice(-2000)}`);
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
    }

    etcdLog(): string {
        const file = path.join(this.dir, "etcd.log");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    }

    /** Lines the fake crictl and ctr logged. */
    calls(): string[] {
        const file = path.join(this.dir, "calls");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    }

    async tearDown(): Promise<void> {
        if (this.timer) clearInterval(this.timer);
        this.paused = true;
        const etcd = this.etcd;
        if (etcd) await new Promise((resolve) => (etcd.once("exit", resolve), etcd.kill("SIGTERM")));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
