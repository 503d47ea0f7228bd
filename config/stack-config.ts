import { quoteInput } from "./cli";
import { z } from "zod";
import { KNOWN_MACHINE_TYPES } from "./node-capacity";
import { workerSlotCapacity } from "./address-plan";
import { Ipv4Network } from "./cidr";
import { KubernetesRelease } from "./kubernetes-release";
import { cidr, flag, gcpProjectId, gcpRegion, kubernetesVersion, machineType, matching, text, wholeNumberIn } from "./fields";
import { cidrItem, jsonList, repeatedValues, slotNumber } from "./json-fields";
import { AutoscalerConfig, autoscaler, autoscalerReleaseProblem } from "./autoscaler-config";
import { BoutiqueConfig, boutiqueKeys, toBoutiqueConfig } from "./boutique-config";
import { delivery, DeliverySettings } from "./delivery-config";
import { EtcdBackupConfig, etcdBackupKeys, toEtcdBackupConfig } from "./etcd-backup-config";
import { BoutiqueDelivery, gitopsKeys, gitopsProblems, toBoutiqueDelivery } from "./gitops-config";
import { MAX_ADMIN_CIDRS, networkProblems } from "./network-config";
import { PlatformConfig, platformKeys, platformProblems, toPlatformConfig } from "./platform-config";
import { ENCRYPTED_PLACEHOLDER } from "./stack-files";
import { liveWorkerSlots, MAX_WORKER_SLOTS, WorkerScale } from "./worker-slots";

export const PROJECT = "boutique-platform";

/** The validated stack configuration: everything the program reads from config, typed. */
export interface StackConfig {
    readonly gcp: { readonly project: string; readonly region: string; readonly zone: string };
    /** Prefixes VM, service-account and Kubernetes cluster names. */
    readonly clusterName: string;
    /** The exact release every node installs and kubeadm deploys. */
    readonly kubernetesVersion: KubernetesRelease;
    readonly controlPlane: {
        readonly count: 1 | 3;
        readonly machineType: string;
        /**
         * With one control plane, whether its replacement (which finds no cluster to join) restores
         * etcd from the newest backup and runs kubeadm init on it; when false it refuses, saying so.
         * @default false
         */
        readonly restoreFromBackup: boolean;
    };
    readonly workers: WorkerScale & { readonly min: number; readonly max: number; readonly machineType: string };
    readonly haproxy: { readonly machineType: string };
    readonly network: {
        readonly subnet: Ipv4Network;
        readonly pods: Ipv4Network;
        readonly services: Ipv4Network;
        /** Who may reach the API server and the SSH bastion: together at most a /8, unless internet-wide access is meant. */
        readonly adminCidrs: readonly Ipv4Network[];
    };
    readonly nodes: { readonly image: string; readonly diskSizeGb: number; readonly drainTimeoutSeconds: number };
    /** What runs on the cluster: CNI, storage, mesh, observability. */
    readonly platform: PlatformConfig;
    /** Online Boutique on the mesh. */
    readonly boutique: BoutiqueConfig;
    /** Who installs the shop: the program, or Argo CD from a Git path. */
    readonly boutiqueDelivery: BoutiqueDelivery;
    /** How the frontend is released (Flagger). */
    readonly delivery: DeliverySettings;
    /** The Cluster Autoscaler and the scaler in the cluster; absent when not enabled. */
    readonly autoscaler?: AutoscalerConfig;
    /** Scheduled etcd snapshots from every control plane to a GCS bucket. */
    readonly etcdBackup: EtcdBackupConfig;
}

/**
 * One decoder per config key, by short name; `fullKey` gives the Pulumi name. Pulumi.yaml
 * declares the same project keys (a test keeps the two in step).
 */
const keys = {
    gcpProject: gcpProjectId,
    gcpRegion,
    gcpZone: matching(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/, "a Google Cloud zone such as europe-west1-b"),
    clusterName: matching(/^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/, "a lowercase DNS label of at most 20 characters (it prefixes VM and service-account names)"),
    kubernetesVersion: kubernetesVersion,
    controlPlaneCount: text
        .refine((value) => value === "1" || value === "3", "must be 1 or 3 (etcd needs an odd number of members)")
        .transform((value): 1 | 3 => (value === "1" ? 1 : 3)),
    controlPlaneMachineType: machineType,
    restoreControlPlaneFromBackup: flag,
    workerCount: wholeNumberIn(0, MAX_WORKER_SLOTS),
    minWorkers: wholeNumberIn(0, MAX_WORKER_SLOTS),
    maxWorkers: wholeNumberIn(1, MAX_WORKER_SLOTS),
    retiredWorkerSlots: jsonList(slotNumber.max(MAX_WORKER_SLOTS - 1, `must list slot numbers below ${MAX_WORKER_SLOTS}`), "[1, 4]", MAX_WORKER_SLOTS),
    workerMachineType: machineType,
    haproxyMachineType: machineType,
    subnetCidr: cidr,
    podCidr: cidr,
    serviceCidr: cidr,
    adminCidrs: jsonList(cidrItem, '["203.0.113.0/24"]', MAX_ADMIN_CIDRS),
    allowInternetWideAdminAccess: flag,
    nodeImage: matching(/^[a-z0-9-]+\/[a-z0-9-]+$/, "an image as <project>/<family or image>, e.g. ubuntu-os-cloud/ubuntu-2404-lts-amd64"),
    nodeDiskSizeGb: wholeNumberIn(20, 65536),
    drainTimeoutSeconds: wholeNumberIn(30, 3600),
    ...platformKeys,
    ...boutiqueKeys,
    ...gitopsKeys,
    ...etcdBackupKeys,
    delivery,
    // Offline (render, tests) a `secure:` value reads as the placeholder: it cannot be checked there.
    deliveryAlertWebhookUrl: text
        .refine((value) => value === ENCRYPTED_PLACEHOLDER || /^https:\/\/[^\s]+$/.test(value), "must be an https:// webhook URL")
        .optional(),
    autoscaler,
};

/**
 * Keys the program reads that Pulumi.yaml cannot declare: project config types are string,
 * integer, boolean and array, and a declared key without a default is required in every stack.
 */
export const UNDECLARED_KEYS = {
    delivery: "an object (set with pulumi config set --path delivery.<field>); defaults to the seed's canary",
    deliveryAlertWebhookUrl: "an optional secret (pulumi config set --secret), needed only with delivery.alerting",
    autoscaler: "an object (pulumi config set --path autoscaler.<field>); off unless autoscaler.enabled is true",
    boutiqueImages: "an object of service -> image (pulumi config set --path boutiqueImages.frontend <image>); defaults to the chart's images",
    gitopsRepoUrl: "the https:// Git repository Argo CD reads the shop from; needed only with boutiqueDeliveredBy argocd",
    gitopsRepoUsername: "optional: the user name of gitopsRepoPassword (a deploy token's), for a private repository",
    gitopsRepoPassword: "an optional secret (pulumi config set --secret): the token or password of gitopsRepoUsername",
} as const;

/** Never echoed in error messages (nor is any key the stack holds as a secret). */
const SECRET_KEYS: readonly KeyName[] = ["deliveryAlertWebhookUrl", "gitopsRepoPassword"];

/** JSON objects: messages name their fields, never quote the value (any field may hold a secret). */
const STRUCTURED_KEYS: readonly KeyName[] = ["delivery", "autoscaler", "boutiqueImages"];

type KeyName = keyof typeof keys;
type Decoded = z.output<z.ZodObject<typeof keys>>;
type Problem = { readonly key: KeyName; readonly message: string };

const GCP_KEYS: Partial<Record<KeyName, string>> = { gcpProject: "gcp:project", gcpRegion: "gcp:region", gcpZone: "gcp:zone" };

/** The Pulumi config key (namespace:name) for a short key name. */
export function fullKey(name: KeyName): string {
    return GCP_KEYS[name] ?? `${PROJECT}:${name}`;
}

/** The switch a replaced single control plane's bring-up names when it refuses to restore etcd. */
export const RESTORE_CONTROL_PLANE_KEY = fullKey("restoreControlPlaneFromBackup");

/** Every config key the program reads, by its Pulumi name. */
export const CONFIG_KEYS: readonly string[] = (Object.keys(keys) as KeyName[]).map(fullKey);

/** Checks that involve more than one key. Each problem is reported against the key to change. */
function crossKeyProblems(c: Decoded): Problem[] {
    const problems: Problem[] = [];
    const add = (key: KeyName, message: string) => problems.push({ key, message });
    const [region, zone] = [c.gcpRegion, c.gcpZone];
    if (!zone.startsWith(`${region}-`)) add("gcpZone", `must be a zone of gcp:region ${region}, such as ${region}-b`);

    // Refused rather than ignored: a "true" that does nothing would promise a recovery that three
    // control planes get another way (a replaced one joins the other two; losing all three is
    // docs/operations.md's manual restore).
    if (c.restoreControlPlaneFromBackup && c.controlPlaneCount !== 1) {
        add(
            "restoreControlPlaneFromBackup",
            `applies only with controlPlaneCount 1, not ${c.controlPlaneCount}: a replaced control plane of ${c.controlPlaneCount} joins the others, and losing them all is the manual restore in docs/operations.md, "etcd backups and restoring etcd"; set it to false`,
        );
    }

    const [count, min, max] = [c.workerCount, c.minWorkers, c.maxWorkers];
    if (min > max) add("minWorkers", `must not exceed maxWorkers (${max})`);
    else if (count < min || count > max) add("workerCount", `must be between minWorkers (${min}) and maxWorkers (${max})`);

    const capacity = workerSlotCapacity(c.subnetCidr);
    const retired = c.retiredWorkerSlots;
    const repeated = repeatedValues(retired);
    if (repeated.length > 0) {
        add("retiredWorkerSlots", `must not repeat a slot (repeated: ${repeated.slice(0, 10).join(", ")}${repeated.length > 10 ? ", …" : ""})`);
    } else if (count <= max && max <= capacity) {
        const live = liveWorkerSlots({ count, retiredSlots: retired });
        const highest = live[live.length - 1];
        if (highest !== undefined && highest >= max) {
            add(
                "retiredWorkerSlots",
                `leaves workerCount ${count} needing slot ${highest}, but the IP pool has slots 0..${max - 1} (maxWorkers ${max}); un-retire a slot or raise maxWorkers`,
            );
        }
    }
    problems.push(...networkProblems(c));
    problems.push(...platformProblems(c));
    problems.push(...gitopsProblems(c));
    if (c.enableBoutique && !(c.enableIstio && c.enableMonitoring))
        add("enableBoutique", "needs enableIstio and enableMonitoring (the canary routes through Istio and reads Prometheus)");
    if (c.delivery.alerting && !c.deliveryAlertWebhookUrl)
        add("deliveryAlertWebhookUrl", `must be set (as a secret) when delivery.alerting sends to ${c.delivery.alerting.provider}`);
    if (!c.delivery.alerting && c.deliveryAlertWebhookUrl)
        add("deliveryAlertWebhookUrl", "is set but delivery.alerting is not: say which provider receives the alerts");
    const release = c.autoscaler && autoscalerReleaseProblem(c.kubernetesVersion.minor);
    if (release) add("autoscaler", release);
    // Scaling from zero, the autoscaler simulates a template node: its capacity must be known.
    if (c.autoscaler && min === 0 && !KNOWN_MACHINE_TYPES.includes(c.workerMachineType)) {
        add(
            "workerMachineType",
            `is not in the scaler's machine table (config/node-capacity.ts), which its template node needs to scale up from minWorkers 0; use a listed type or add this one with its vCPUs and memory`,
        );
    }
    return problems;
}

/** Raised for invalid config, before any resource is declared. */
export class StackConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`Invalid stack configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
        this.name = "StackConfigError";
    }
}

function describe(raw: Readonly<Record<string, string | undefined>>, name: KeyName, secretKeys: ReadonlySet<string>): string {
    const key = fullKey(name);
    const value = raw[key];
    if (value === undefined) return `${key} (not set)`;
    if (SECRET_KEYS.includes(name) || secretKeys.has(key)) return `${key} ([secret])`;
    if (STRUCTURED_KEYS.includes(name)) return key;
    return `${key} = ${quoteInput(value)}`;
}

/**
 * Validates the raw config map (full key -> text, as Pulumi provides it) into a StackConfig.
 * Throws one StackConfigError that names, for each bad value, the key, the value and what is allowed.
 */
export function parseStackConfig(raw: Readonly<Record<string, string | undefined>>, secretKeys: Iterable<string> = []): StackConfig {
    const names = Object.keys(keys) as KeyName[];
    const parsed = z.object(keys).safeParse(Object.fromEntries(names.map((name) => [name, raw[fullKey(name)]])));
    const problems: Problem[] = parsed.success
        ? crossKeyProblems(parsed.data)
        : parsed.error.issues.map((issue) => ({ key: issue.path[0] as KeyName, message: issue.message }));
    if (!parsed.success || problems.length > 0) {
        const secret = new Set(secretKeys);
        const byKey = new Map<KeyName, string[]>();
        for (const { key, message } of problems) byKey.set(key, [...(byKey.get(key) ?? []), message]);
        // One line per key: its first messages (a decoder may find several things wrong with one value).
        throw new StackConfigError([...byKey].map(([key, messages]) => `${describe(raw, key, secret)}: ${[...new Set(messages)].slice(0, 5).join("; ")}`));
    }
    const c = parsed.data;
    return {
        gcp: { project: c.gcpProject, region: c.gcpRegion, zone: c.gcpZone },
        clusterName: c.clusterName,
        kubernetesVersion: c.kubernetesVersion,
        controlPlane: { count: c.controlPlaneCount, machineType: c.controlPlaneMachineType, restoreFromBackup: c.restoreControlPlaneFromBackup },
        workers: {
            count: c.workerCount,
            retiredSlots: c.retiredWorkerSlots,
            min: c.minWorkers,
            max: c.maxWorkers,
            machineType: c.workerMachineType,
        },
        haproxy: { machineType: c.haproxyMachineType },
        network: { subnet: c.subnetCidr, pods: c.podCidr, services: c.serviceCidr, adminCidrs: c.adminCidrs },
        nodes: { image: c.nodeImage, diskSizeGb: c.nodeDiskSizeGb, drainTimeoutSeconds: c.drainTimeoutSeconds },
        platform: toPlatformConfig(c),
        boutique: toBoutiqueConfig(c),
        boutiqueDelivery: toBoutiqueDelivery(c),
        delivery: { ...c.delivery, ...(c.deliveryAlertWebhookUrl ? { alertWebhookUrl: c.deliveryAlertWebhookUrl } : {}) },
        autoscaler: c.autoscaler,
        etcdBackup: toEtcdBackupConfig(c),
    };
}
