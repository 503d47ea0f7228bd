import * as fs from "fs";
import * as path from "path";
import { etcdBackupFiles } from "../../components/cluster/rendered/etcd-backup-units";
import { renderImageCredentialProvider } from "../../components/cluster/rendered/image-credentials";
import { encodeFileBundle } from "../../components/cluster/rendered/node-files";
import { KUBERNETES_SYSCTLS, NODE_PATHS } from "../../components/cluster/rendered/node-scripts";
import { renderEtcdBackupScript } from "../../components/cluster/rendered/node-scripts-etcd-backup";
import { renderEtcdRestoreScript } from "../../components/cluster/rendered/node-scripts-etcd-restore";
import { etcdScriptSettings } from "./etcd-backup-fixtures";
import { kubeconfigRead } from "./secret-flows";
import { kubeconfigNotingKubectl } from "./secret-fakes";
import { Scenario, ScenarioContext } from "./secret-lab";
import { StubRule } from "./scripts-sandbox";
import { FakeNode, FakeNodeSetup } from "./upgrade-fakes";

/**
 * The argv scenarios of the scripts that prepare and maintain nodes: most only point tools at the
 * node's kubeconfig files, and the check is that they keep doing so. Tools that would change this
 * machine (apt-get, systemctl, modprobe, sysctl, ...) are stubs, as in their own tests.
 */

type ScenarioSpec = Omit<Scenario, "label" | "script">;

const nodeExists = (node: string): StubRule => ({ match: `get node ${node} --ignore-not-found -o name$`, stdout: `node/${node}\n` });
const leaseHeldBy = (node: string): StubRule => ({
    match: "get lease boutique-node-roll --ignore-not-found -o jsonpath=\\{\\.spec\\.holderIdentity\\}$",
    stdout: node,
});
const ROLL = { node: "control-plane", stubs: ["kubectl"], fakes: ["kubectl"], status: 0, flows: [kubeconfigRead("admin")] } as const;
const READY_WORKERS: StubRule = { match: " get nodes -o jsonpath=", stdout: "\t\tTrue\n\t\tTrue\n" };

/** The upgrade tests' fake node (upgrade-fakes.ts), its kubectl noting the kubeconfig each call reads. */
const fakeNode =
    (setup: FakeNodeSetup) =>
    ({ sandbox }: ScenarioContext): string[] => {
        new FakeNode(sandbox, setup);
        const fakes = path.join(sandbox.dir, "fakes");
        const aside = path.join(sandbox.dir, "fakes-aside");
        fs.mkdirSync(aside);
        fs.renameSync(path.join(fakes, "kubectl"), path.join(aside, "kubectl"));
        fs.writeFileSync(path.join(fakes, "kubectl"), kubeconfigNotingKubectl(path.join(aside, "kubectl")), { mode: 0o755 });
        return [fakes];
    };
const UPGRADE = { stubs: [], status: 0, minCommands: 30, recorded: [/^apt-get /, /^kubeadm upgrade /, /^sed /] } as const;
const controlPlane = (nodeName: string, cluster: string): FakeNodeSetup => ({ nodeName, cluster, packages: "1.32.4", aptMinor: 32, role: "control-plane" });

const PREPARE_TOOLS = ["apt-get", "apt-mark", "curl", "gpg", "dpkg", "dpkg-query", "kubeadm", "containerd", "modprobe", "sysctl", "swapoff", "systemctl"];
const PREPARE_RULES: readonly StubRule[] = [
    ...KUBERNETES_SYSCTLS.map(([key, value]) => ({ match: `^sysctl -n ${key.replace(/\./g, "\\.")}$`, stdout: `${value}\n` })),
    { match: "^kubeadm version -o short$", stdout: "v1.32.4\n" },
    { match: "^kubeadm config images list ", stdout: "registry.k8s.io/kube-apiserver:v1.32.4\nregistry.k8s.io/pause:3.10\n" },
    { match: "^containerd config default$", stdout: '[plugins]\n  sandbox_image = "registry.k8s.io/pause:3.8"\n  SystemdCgroup = false\n' },
    { match: "^dpkg-query -W ", stdout: "1.32.4-1.1" },
];
const HAPROXY_PREPARED = ({ sandbox }: ScenarioContext): void => sandbox.write(NODE_PATHS.haproxyPrepared, "HAProxy version 2.8\n");

export const NODE_SCENARIOS: Readonly<Record<string, ScenarioSpec>> = {
    "prepare-node (1.32.4)": {
        node: "bare",
        stubs: PREPARE_TOOLS,
        rules: PREPARE_RULES,
        setup: ({ sandbox }) => sandbox.write("/etc/fstab", "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n"),
        status: 0,
        minCommands: 40,
        recorded: [/^apt-get .* install /, /^sed -i /, /^mktemp /],
        flows: [],
    },
    "install-prepare-node (startup script, 1.32.4)": {
        node: "bare",
        stubs: ["systemctl"],
        status: 0,
        minCommands: 10,
        recorded: [/^systemctl /, /^mktemp /],
        flows: [],
    },
    "prepare-haproxy": {
        node: "bare",
        stubs: ["apt-get", "systemctl", "haproxy"],
        status: 0,
        minCommands: 10,
        recorded: [/^apt-get /, /^install -d /],
        flows: [],
    },
    "apply-haproxy-api-config": {
        node: "bare",
        stubs: ["systemctl", "haproxy"],
        setup: HAPROXY_PREPARED,
        stdin: () => "global\n  daemon\n",
        status: 0,
        minCommands: 8,
        recorded: [/^haproxy -c /, /^mktemp /],
        flows: [],
    },
    "apply-haproxy-ingress-config": {
        node: "bare",
        stubs: ["systemctl", "haproxy"],
        setup: HAPROXY_PREPARED,
        stdin: () => "frontend http\n  bind :80\n",
        status: 0,
        minCommands: 8,
        recorded: [/^haproxy -c /, /^mktemp /],
        flows: [],
    },
    "remove-node, worker": {
        ...ROLL,
        rules: [nodeExists("boutique-worker-3")],
        minCommands: 8,
        recorded: [/^timeout .* kubectl /, /^kubectl .* drain boutique-worker-3 /],
    },
    "remove-node, control plane": {
        ...ROLL,
        stubs: ["kubectl", "crictl"],
        rules: [
            nodeExists("boutique-cp-2"),
            { match: "^crictl ps --name \\^etcd\\$ -q$", stdout: "c0ffee12\n" },
            {
                match: " member list -w simple$",
                stdout: "8e9e05c52164694d, started, boutique-cp-0, https://10.0.0.1:2380, https://10.0.0.1:2379, false\nfd422379fda50e48, started, boutique-cp-2, https://10.0.0.3:2380, https://10.0.0.3:2379, false\n",
            },
            { match: " endpoint status -w simple$", stdout: "https://127.0.0.1:2379, 8e9e05c52164694d, 3.5.16, 20 MB, true, false, 7, 900, 900, \n" },
        ],
        minCommands: 14,
        recorded: [/^crictl exec c0ffee12 etcdctl .* member remove fd422379fda50e48$/, /^kubectl .* delete node boutique-cp-2 /],
    },
    "roll-start, worker": {
        ...ROLL,
        rules: [nodeExists("boutique-worker-3")],
        minCommands: 10,
        recorded: [/^kubectl .* create -f -$/, /^kubectl .* drain boutique-worker-3 /, /^date /],
    },
    "roll-start, control plane": {
        ...ROLL,
        rules: [nodeExists("boutique-cp-1")],
        minCommands: 10,
        recorded: [/^kubectl .* create -f -$/, /^kubectl .* drain boutique-cp-1 /],
    },
    "roll-finish": {
        ...ROLL,
        rules: [{ match: "get node boutique-worker-3 --ignore-not-found -o jsonpath=", stdout: "True v1.32.4" }, leaseHeldBy("boutique-worker-3")],
        minCommands: 6,
        recorded: [/^kubectl .* uncordon boutique-worker-3$/, /^kubectl .* delete lease boutique-node-roll$/],
    },
    "workers-ready, 2 workers": { ...ROLL, rules: [READY_WORKERS], minCommands: 2, recorded: [/^kubectl .* get nodes /, /^awk /] },
    "release-volumes (destroy)": {
        ...ROLL,
        rules: [{ match: " get pv -o jsonpath=", stdout: "" }],
        minCommands: 7,
        recorded: [/^kubectl .* -n logging delete pvc --all --wait=false$/, /^kubectl .* get pv /],
    },
    "workers-ready, none (scale from zero)": { ...ROLL, rules: [READY_WORKERS], minCommands: 2, recorded: [/^kubectl .* get nodes /, /^awk /] },
    "install-etcd-backup": {
        node: "control-plane",
        stubs: ["systemctl", "systemd-analyze"],
        stdin: () =>
            encodeFileBundle(
                etcdBackupFiles({
                    backupScript: renderEtcdBackupScript(etcdScriptSettings()),
                    restoreScript: renderEtcdRestoreScript(etcdScriptSettings()),
                    schedule: "hourly",
                }),
            ),
        status: 0,
        minCommands: 20,
        recorded: [/^systemd-analyze calendar /, /^base64 -d$/, /^chmod 0755 /],
        flows: [],
    },
    "upgrade-first-control-plane (to 1.33.1)": {
        ...UPGRADE,
        node: "control-plane",
        setup: fakeNode(controlPlane("boutique-cp-0", "v1.32.4")),
        flows: [kubeconfigRead("admin")],
    },
    "upgrade-control-plane (to 1.33.1)": {
        ...UPGRADE,
        node: "control-plane",
        setup: fakeNode(controlPlane("boutique-cp-1", "v1.33.1")),
        flows: [kubeconfigRead("admin")],
    },
    "upgrade-worker (to 1.33.1)": {
        ...UPGRADE,
        node: "worker",
        setup: fakeNode({ nodeName: "boutique-worker-3", cluster: "v1.33.1", packages: "1.32.4", aptMinor: 32, role: "worker" }),
        flows: [kubeconfigRead("kubelet")],
    },
};

/** A script the fixture list lacks: the kubelet runs it on every node to pull from Google's registries. */
export const CREDENTIAL_PROVIDER: Scenario = {
    label: "gce-registry-credentials (the kubelet's image credential provider)",
    script: renderImageCredentialProvider(),
    node: "bare",
    stubs: [],
    stdin: () => '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"europe-docker.pkg.dev/p/r/i:1"}\n',
    status: 0,
    minCommands: 3,
    recorded: [/^curl .* --header "Metadata-Flavor: Google" http:\/\/127\.0\.0\.1:\d+\/computeMetadata\//, /^sed -n /],
    flows: [
        {
            secret: "metadata access token",
            where: "metadata server -> curl's stdout -> the kubelet (stdout), for every registry",
            holds: ({ kit, tap }, run) => tap.metadataAnswers.length > 0 && run.stdout.split(kit.metadataToken).length - 1 === 3,
        },
    ],
};
