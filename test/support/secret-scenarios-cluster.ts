import { encodeFileBundle } from "../../components/cluster/rendered/node-files";
import { JOIN_PATHS } from "../../components/cluster/rendered/node-scripts";
import { ETCD_BACKUP_COMMAND } from "../../components/cluster/rendered/node-scripts-etcd-snapshot";
import { renderEtcdBackupScript } from "../../components/cluster/rendered/node-scripts-etcd-backup";
import { etcdScriptSettings } from "./etcd-backup-fixtures";
import {
    ACCESS_TOKEN_USED,
    BRING_UP_INSTALLS,
    controlPlaneBundle,
    HOST_TOKEN_SIGNED,
    JOIN_CONFIG,
    kubeconfigRead,
    SSH_KEY_USED,
    TOKEN_JOINED,
    TOKEN_MINTED,
} from "./secret-flows";
import { Flow, Scenario, ScenarioContext } from "./secret-lab";

/** The argv scenarios of the scripts that handle the cluster's secrets: bring-ups, joins, etcd backups and restores. */

type ScenarioSpec = Omit<Scenario, "label" | "script">;

const SNAPSHOT = "boutique/boutique-cp-0/20250102T030000Z-scheduled.db";
const storeSnapshot = ({ google }: ScenarioContext): void => void google.objects.set(SNAPSHOT, { data: Buffer.from("etcd-snapshot newest"), generation: 1 });
const NO_CLUSTER = { match: "get --raw /readyz", exit: 1 };
const BRING_UP_CONF_GONE: Flow = {
    secret: "admin client key",
    where: "bring-up kubeconfig removed when the bring-up ends",
    holds: ({ sandbox }) => !sandbox.exists("/etc/kubernetes/boutique/bring-up.conf"),
};
const TOKEN_FILE_GONE = (root: string): Flow => ({
    secret: "bootstrap token",
    where: "token file removed when the join ends",
    holds: ({ sandbox }) => !sandbox.exists(`${root}${JOIN_PATHS.token}`),
});
const SNAPSHOT_UPLOADED: Flow = { secret: "GCS access token", where: "a snapshot stored in the bucket", holds: ({ google }) => google.objects.size === 1 };
const GOOGLE: readonly RegExp[] = [/^openssl dgst -sha256 -sign /, /^curl .* --data-urlencode subject_token@/, /^curl .* -H @\S+\/authorization /];

export const CLUSTER_SCENARIOS: Readonly<Record<string, ScenarioSpec>> = {
    "init-cluster (bring-up that may initialize)": {
        node: "fresh",
        stubs: ["kubectl"],
        rules: [NO_CLUSTER],
        fakes: ["kubeadm", "kubectl"],
        stdin: (kit) => controlPlaneBundle(kit, true),
        status: 0,
        minCommands: 25,
        recorded: [/^kubeadm init --config /, /^base64 -d$/, /^mktemp /],
        flows: [...BRING_UP_INSTALLS, kubeconfigRead("admin"), BRING_UP_CONF_GONE],
    },
    "bring-up-control-plane": {
        node: "fresh",
        stubs: ["kubectl"],
        rules: [{ match: " get pods -l component=etcd ", stdout: "etcd-boutique-cp-0" }],
        fakes: ["kubeadm", "kubectl"],
        stdin: (kit) => controlPlaneBundle(kit, false),
        status: 0,
        minCommands: 30,
        recorded: [/^kubeadm token create /, /^kubeadm join --config /, /^kubeadm token delete .* argv01$/, /^base64 -d$/],
        flows: [...BRING_UP_INSTALLS, TOKEN_MINTED, TOKEN_JOINED, kubeconfigRead("admin"), BRING_UP_CONF_GONE],
    },
    "bring-up-control-plane, only one, restore allowed": {
        node: "fresh",
        stubs: ["kubectl"],
        rules: [NO_CLUSTER],
        fakes: ["kubeadm", "kubectl", "ctr"],
        setup: storeSnapshot,
        stdin: (kit) => controlPlaneBundle(kit, true),
        status: 0,
        minCommands: 50,
        recorded: [...GOOGLE, /^ctr -n k8s\.io run .* etcdctl snapshot restore /, /^kubeadm init /],
        flows: [...BRING_UP_INSTALLS, HOST_TOKEN_SIGNED, ACCESS_TOKEN_USED, kubeconfigRead("admin"), BRING_UP_CONF_GONE],
    },
    "bring-up-control-plane, only one, restore refused": {
        node: "fresh",
        stubs: ["kubectl"],
        rules: [NO_CLUSTER],
        fakes: ["kubeadm", "kubectl", "ctr"],
        setup: storeSnapshot,
        stdin: (kit) => controlPlaneBundle(kit, false),
        // It refuses, naming the newest snapshot it listed with its access token.
        status: 1,
        minCommands: 30,
        recorded: GOOGLE.slice(0, 2),
        flows: [HOST_TOKEN_SIGNED, ACCESS_TOKEN_USED, kubeconfigRead("admin"), BRING_UP_CONF_GONE],
    },
    "join-node": {
        node: "fresh",
        stubs: [],
        fakes: ["kubeadm"],
        stdin: (kit) =>
            encodeFileBundle([
                { path: JOIN_PATHS.joinConfig, mode: "0644", content: JOIN_CONFIG },
                { path: JOIN_PATHS.token, mode: "0600", content: kit.bootstrapToken },
            ]),
        status: 0,
        minCommands: 12,
        recorded: [/^kubeadm join --config /, /^base64 -d$/, /^mktemp /],
        flows: [TOKEN_JOINED, TOKEN_FILE_GONE("")],
    },
    // The whole worker join: cp-0 mints the token and runs join-node on the worker over ssh and sudo.
    "join-worker": {
        node: "control-plane",
        stubs: ["kubectl"],
        rules: [{ match: "get node boutique-worker-3 --ignore-not-found -o name", stdout: "node/boutique-worker-3" }],
        fakes: ["kubeadm", "kubectl", "ssh", "sudo"],
        stdin: (kit) =>
            encodeFileBundle([
                { path: `${JOIN_PATHS.relayDir}/boutique-worker-3/ssh-key`, mode: "0600", content: kit.sshKeyPem },
                {
                    path: `${JOIN_PATHS.relayDir}/boutique-worker-3/node-bundle`,
                    mode: "0600",
                    content: encodeFileBundle([{ path: JOIN_PATHS.joinConfig, mode: "0644", content: JOIN_CONFIG }]),
                },
            ]),
        status: 0,
        minCommands: 20,
        recorded: [/^ssh -i /, /^sudo -n bash -c /, /^kubeadm token create /, /^kubeadm join --config /],
        flows: [SSH_KEY_USED, TOKEN_MINTED, TOKEN_JOINED, TOKEN_FILE_GONE("/../worker-root"), kubeconfigRead("admin")],
    },
    "roll-start, the only control plane (snapshot first)": {
        node: "control-plane",
        stubs: ["kubectl"],
        rules: [{ match: "get node boutique-cp-0 --ignore-not-found -o name", stdout: "node/boutique-cp-0" }],
        fakes: ["kubectl", "crictl"],
        // The real backup script where roll-start runs it: its snapshot goes to the (fake) bucket.
        setup: ({ sandbox }) => sandbox.write(ETCD_BACKUP_COMMAND, renderEtcdBackupScript(etcdScriptSettings()), 0o755),
        status: 0,
        minCommands: 30,
        recorded: [...GOOGLE, /^bash \S+boutique-etcd-backup pre-change$/, /^kubectl .* drain boutique-cp-0 /],
        flows: [HOST_TOKEN_SIGNED, ACCESS_TOKEN_USED, SNAPSHOT_UPLOADED, kubeconfigRead("admin")],
    },
    "etcd-backup": {
        node: "control-plane",
        stubs: [],
        fakes: ["crictl"],
        status: 0,
        minCommands: 20,
        recorded: [...GOOGLE, /^crictl exec etcd-c0ffee etcdctl .* snapshot save /],
        flows: [HOST_TOKEN_SIGNED, ACCESS_TOKEN_USED, SNAPSHOT_UPLOADED],
    },
    "etcd-restore, three members": {
        node: "control-plane",
        args: ["--latest"],
        stubs: [],
        fakes: ["crictl", "ctr"],
        setup: storeSnapshot,
        status: 0,
        minCommands: 30,
        recorded: [...GOOGLE.slice(0, 2), /^curl .* -H @\S+\/authorization .*\?alt=media"?$/, /^ctr -n k8s\.io run .* etcdctl snapshot restore /],
        flows: [HOST_TOKEN_SIGNED, ACCESS_TOKEN_USED],
    },
};
