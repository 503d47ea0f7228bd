import * as fs from "fs";
import * as path from "path";
import { CONTROL_PLANE_PATHS } from "../../components/cluster/rendered/control-plane-files";
import { SHARED_PKI_PATHS } from "../../components/cluster/control-plane-bundle";
import { NODE_PATHS, SYSTEM_PATHS } from "../../components/cluster/rendered/node-scripts";
import { serviceAccountJwks } from "../../components/cluster/pki";
import { providerAudience, providerTokenAudience, serviceAccountSubject } from "../../components/shared/workload-identity";
import { ArgvRecorder, CommandRecord } from "./argv-recorder";
import { etcdScriptSettings } from "./etcd-backup-fixtures";
import { FakeGoogle } from "./fake-google";
import { GoogleTap } from "./google-tap";
import { FAKE_FILES, installFakes, PASS_THROUGH, SecretFake } from "./secret-fakes";
import { findLeaks, Leak, Secret, SecretKit } from "./secret-kit";
import { ScriptRun, ScriptSandbox, StubRule } from "./scripts-sandbox";

/**
 * Runs a node script the way the argv test needs it: in a sandbox whose node holds the kit's
 * secrets (on disk, on stdin, or from the fakes: kubeadm's token, Google's access tokens), with
 * every command line recorded, then searched for every secret known by the end of the run.
 */

const IDENTITY = etcdScriptSettings().identity;

export interface ScenarioContext {
    readonly sandbox: ScriptSandbox;
    readonly kit: SecretKit;
    readonly google: FakeGoogle;
    readonly tap: GoogleTap;
}

/** Where a secret had to go for the run to count: checked after the run. */
export interface Flow {
    readonly secret: string;
    readonly where: string;
    readonly holds: (context: ScenarioContext, run: ScriptRun) => boolean;
}

export interface Scenario {
    /** A label of renderedScripts() (scripts-fixtures.ts), or a script that fixture list lacks. */
    readonly label: string;
    readonly script: string;
    readonly args?: readonly string[];
    /** Rule-driven stubs (scripts-sandbox.ts): tools that must not touch this machine, or answer for a cluster. */
    readonly stubs: readonly string[];
    readonly rules?: readonly StubRule[];
    readonly fakes?: readonly SecretFake[];
    /** What the node holds on disk beforehand: nothing, only its preparation's marker, a worker's or a control plane's files. */
    readonly node: "bare" | "fresh" | "worker" | "control-plane";
    readonly stdin?: (kit: SecretKit) => string;
    /** More setup; returns further fake directories (searched after the sandbox's bin). */
    readonly setup?: (context: ScenarioContext) => readonly string[] | void;
    readonly status: number;
    /** The run must record at least this many commands, */
    readonly minCommands: number;
    /** and these (a fake's and real tools' calls: the shims saw both). */
    readonly recorded: readonly RegExp[];
    readonly flows: readonly Flow[];
}

export interface ScenarioResult {
    readonly run: ScriptRun;
    readonly records: readonly CommandRecord[];
    readonly secrets: readonly Secret[];
    readonly leaks: readonly Leak[];
    /** The flows that did not happen. */
    readonly missedFlows: readonly string[];
}

/** kubeadm's etcd manifest, as far as the etcd scripts read it. */
const ETCD_MANIFEST = [
    "apiVersion: v1",
    "kind: Pod",
    "spec:",
    "  containers:",
    "  - command:",
    "    - etcd",
    "    - --name=boutique-cp-0",
    "    - --data-dir=/var/lib/etcd",
    "    - --initial-advertise-peer-urls=https://10.10.0.8:2380",
    "    - --listen-client-urls=https://127.0.0.1:2379,https://10.10.0.8:2379",
    "    image: registry.k8s.io/etcd:3.5.16-0",
    "",
].join("\n");

export class SecretLab {
    readonly kit = new SecretKit();
    readonly recorder = new ArgvRecorder();
    readonly google = new FakeGoogle({
        jwks: serviceAccountJwks(this.kit.serviceAccountPublicKeyPem),
        issuer: IDENTITY.issuer,
        providerAudience: providerAudience(IDENTITY.federation),
        tokenAudience: providerTokenAudience(IDENTITY.federation),
        subject: serviceAccountSubject(IDENTITY.serviceAccount),
        bucket: IDENTITY.bucket,
    });
    private tap: GoogleTap | undefined;

    async start(): Promise<void> {
        this.tap = new GoogleTap(await this.google.start(), this.kit.metadataToken);
        await this.tap.start();
    }

    async stop(): Promise<void> {
        await this.tap?.stop();
        await this.google.stop();
        this.recorder.cleanup();
    }

    async run(scenario: Scenario): Promise<ScenarioResult> {
        const sandbox = new ScriptSandbox(scenario.stubs, scenario.rules ?? []);
        try {
            const context: ScenarioContext = { sandbox, kit: this.kit, google: this.google, tap: this.freshTap() };
            installFakes(sandbox, scenario.fakes ?? []);
            const fakeDirs = [sandbox.bin, ...(scenario.setup?.(context) ?? [])];
            this.plant(sandbox, scenario.node);
            const env = { ...this.recorder.env({ fakeDirs, passThrough: PASS_THROUGH }), ...context.tap.env(), HOME: sandbox.dir };
            const run = await sandbox.runAsync(scenario.script, { stdin: scenario.stdin?.(this.kit) ?? "", args: scenario.args, env });
            const records = this.recorder.records();
            const secrets = [...this.kit.secrets(), ...context.tap.secrets()];
            const missedFlows = scenario.flows.filter((flow) => !flow.holds(context, run)).map((flow) => `${flow.secret} -> ${flow.where}`);
            return { run, records, secrets, leaks: findLeaks(records, secrets), missedFlows };
        } finally {
            sandbox.cleanup();
        }
    }

    /** The tap's notes start empty for each scenario; the fake Google keeps only what a scenario stores. */
    private freshTap(): GoogleTap {
        if (!this.tap) throw new Error("SecretLab.start() first");
        for (const list of [this.tap.subjectTokens, this.tap.accessTokens, this.tap.acceptedBearers, this.tap.metadataAnswers]) list.length = 0;
        this.google.objects.clear();
        return this.tap;
    }

    /** The node's files, as kubeadm and the program leave them; the fakes' reference copies of the secrets. */
    private plant(sandbox: ScriptSandbox, node: Scenario["node"]): void {
        const kit = this.kit;
        const reference: [string, string][] = [
            [FAKE_FILES.adminKubeconfig, kit.adminKubeconfig],
            [FAKE_FILES.kubeletKubeconfig, kit.kubeletKubeconfig],
            [FAKE_FILES.bootstrapToken, `${kit.bootstrapToken}\n`],
            [FAKE_FILES.sshKey, kit.sshKeyPem],
        ];
        for (const [file, content] of reference) fs.writeFileSync(path.join(sandbox.dir, file), content, { mode: 0o600 });
        fs.mkdirSync(path.join(sandbox.dir, "worker-root", path.dirname(NODE_PATHS.prepared)), { recursive: true });
        fs.writeFileSync(path.join(sandbox.dir, "worker-root", NODE_PATHS.prepared), "v1.32.4\n");
        if (node === "bare") return;
        sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
        if (node === "fresh") return;
        sandbox.write(SYSTEM_PATHS.kubeletKubeconfig, kit.kubeletKubeconfig, 0o600);
        if (node === "worker") return;
        const files: [string, string][] = [
            [SYSTEM_PATHS.adminKubeconfig, kit.adminKubeconfig],
            [SHARED_PKI_PATHS.caKey, kit.caKeyPem],
            [SHARED_PKI_PATHS.frontProxyCaKey, kit.frontProxyCaKeyPem],
            [SHARED_PKI_PATHS.etcdCaKey, kit.etcdCaKeyPem],
            [SHARED_PKI_PATHS.serviceAccountKey, kit.serviceAccountKeyPem],
            ["/etc/kubernetes/pki/etcd/healthcheck-client.key", kit.etcdClientKeyPem],
            [CONTROL_PLANE_PATHS.encryptionConfig, kit.encryptionConfig],
        ];
        for (const [file, content] of files) sandbox.write(file, content, 0o600);
        sandbox.write("/etc/kubernetes/manifests/etcd.yaml", ETCD_MANIFEST);
        fs.mkdirSync(sandbox.path("/var/lib/etcd"), { recursive: true });
    }
}
