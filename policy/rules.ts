import { CLUSTER_PORTS, NETWORK_TAGS } from "../components/cluster/firewall-rules";
import { noAnonymousDashboards, strictMtls } from "./kubernetes-rules";
import { at, isRecord, lower, Props, recordsIn, shown, stringsIn } from "./props";
import type { Rule } from "./rule";

const VM_TYPES = ["gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate"];

const nonEmptyList = (value: unknown): boolean => Array.isArray(value) && value.length > 0;

const noExternalIp: Rule = {
    name: "no-external-ip-except-haproxy",
    description: `Only the VM tagged "${NETWORK_TAGS.haproxy}" (the cluster's entry point) has an external IP; the rest egress through Cloud NAT`,
    resourceTypes: VM_TYPES,
    check(props) {
        const external = recordsIn(props.networkInterfaces).flatMap((nic, index) =>
            [
                ["accessConfigs", "IPv4"],
                ["ipv6AccessConfigs", "IPv6"],
            ]
                .filter(([field]) => nonEmptyList(nic[field]))
                .map(
                    ([field, family]) =>
                        `instance: networkInterfaces[${index}].${field} gives it an external ${family} address; only the "${NETWORK_TAGS.haproxy}"-tagged VM may have one`,
                ),
        );
        // Tags are read only when needed: in a preview they may not be known yet.
        return external.length > 0 && !stringsIn(props.tags).includes(NETWORK_TAGS.haproxy) ? external : [];
    },
};

const GUARDED_PORTS = [CLUSTER_PORTS.ssh, CLUSTER_PORTS.apiServer, CLUSTER_PORTS.kubelet];
/** Protocols that carry TCP: by name, "all", or IANA number 6 (GCP accepts numbers too). */
const TCP_PROTOCOLS = ["tcp", "all", "6"];

/** "22" or "6000-7000" as [low, high]; undefined for anything else (GCP rejects it anyway). */
function portRange(spec: unknown): readonly [number, number] | undefined {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(String(spec));
    if (!match) return undefined;
    return [Number(match[1]), Number(match[2] ?? match[1])];
}

function allowsTcpPort(allow: Props, port: number): boolean {
    if (!TCP_PROTOCOLS.includes(lower(allow.protocol) ?? "")) return false;
    const ports: unknown[] = Array.isArray(allow.ports) ? allow.ports : [];
    // No ports means every port of the protocol.
    if (ports.length === 0) return true;
    return ports.some((spec) => {
        const range = portRange(spec);
        return range !== undefined && range[0] <= port && port <= range[1];
    });
}

/** The source ranges that mean "anywhere": any "/0" prefix, or none at all (GCP then admits 0.0.0.0/0). */
function anyAddressSources(props: Props): string[] {
    const ranges = stringsIn(props.sourceRanges);
    if (ranges.length === 0 && !nonEmptyList(props.sourceTags) && !nonEmptyList(props.sourceServiceAccounts)) {
        return ["0.0.0.0/0 (GCP's default when a rule names no source)"];
    }
    return ranges.filter((range) => range.trim().endsWith("/0"));
}

const noClusterPortsToInternet: Rule = {
    name: "no-cluster-ports-open-to-internet",
    description: `No ingress firewall rule opens SSH (${CLUSTER_PORTS.ssh}), the API server (${CLUSTER_PORTS.apiServer}) or the kubelet (${CLUSTER_PORTS.kubelet}) to any address`,
    resourceTypes: ["gcp:compute/firewall:Firewall"],
    check(props) {
        if (props.direction !== undefined && lower(props.direction) !== "ingress") return [];
        const allows = recordsIn(props.allows);
        const ports = GUARDED_PORTS.filter((port) => allows.some((allow) => allowsTcpPort(allow, port)));
        if (ports.length === 0) return [];
        const sources = anyAddressSources(props);
        return ports.flatMap((port) => sources.map((source) => `firewall rule opens tcp ${port} to ${source}`));
    },
};

const privateBuckets: Rule = {
    name: "buckets-uniform-access-public-access-prevention",
    description: "Buckets use uniform bucket-level access (IAM only, no object ACLs) and enforce public access prevention",
    resourceTypes: ["gcp:storage/bucket:Bucket"],
    check(props) {
        return [
            ...(props.uniformBucketLevelAccess === true ? [] : [`bucket: uniformBucketLevelAccess is ${shown(props.uniformBucketLevelAccess)}, must be true`]),
            ...(props.publicAccessPrevention === "enforced"
                ? []
                : [`bucket: publicAccessPrevention is ${shown(props.publicAccessPrevention)}, must be "enforced"`]),
        ];
    },
};

const isPublicPrincipal = (principal: string): boolean => ["allusers", "allauthenticatedusers"].includes(principal.trim().toLowerCase());
/** Predefined ACLs that grant allUsers or allAuthenticatedUsers. */
const isPublicPredefinedAcl = (acl: unknown): boolean => ["publicread", "publicreadwrite", "authenticatedread"].includes(lower(acl) ?? "");
const NEVER_PUBLIC = "buckets and objects must never be public";

function policyDataViolations(policyData: unknown): string[] {
    if (typeof policyData !== "string") return [];
    let policy: unknown;
    try {
        policy = JSON.parse(policyData);
    } catch {
        return ["policyData is not JSON, so it cannot be checked for public members"];
    }
    return recordsIn(at(policy, "bindings")).flatMap((binding) =>
        stringsIn(binding.members)
            .filter(isPublicPrincipal)
            .map((member) => `policyData binds "${member}" to ${shown(binding.role)}; ${NEVER_PUBLIC}`),
    );
}

const noPublicStorage: Rule = {
    name: "storage-never-public",
    description: "No IAM member, binding, policy or ACL grants a bucket or object to allUsers or allAuthenticatedUsers",
    resourceTypes: [
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
        "gcp:storage/bucketAccessControl:BucketAccessControl",
        "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
        "gcp:storage/objectAccessControl:ObjectAccessControl",
        "gcp:storage/bucketACL:BucketACL",
    ],
    // Each type names its grantee in its own field, so reading all of them covers every type.
    check(props) {
        const single = (field: "member" | "entity") => {
            const value = props[field];
            return typeof value === "string" && isPublicPrincipal(value) ? [`${field} is "${value}"; ${NEVER_PUBLIC}`] : [];
        };
        const predefined = (field: "predefinedAcl" | "defaultAcl") =>
            isPublicPredefinedAcl(props[field]) ? [`${field} is ${shown(props[field])}; ${NEVER_PUBLIC}`] : [];
        return [
            ...single("member"),
            ...stringsIn(props.members)
                .filter(isPublicPrincipal)
                .map((member) => `members include "${member}"; ${NEVER_PUBLIC}`),
            ...policyDataViolations(props.policyData),
            ...single("entity"),
            // "ROLE:entity", e.g. "READER:allUsers".
            ...stringsIn(props.roleEntities)
                .filter((roleEntity) => isPublicPrincipal(roleEntity.slice(roleEntity.indexOf(":") + 1)))
                .map((roleEntity) => `roleEntities include "${roleEntity}"; ${NEVER_PUBLIC}`),
            ...predefined("predefinedAcl"),
            ...predefined("defaultAcl"),
        ];
    },
};

const DEFAULT_COMPUTE_ACCOUNT = /^\d+-compute@developer\.gserviceaccount\.com$/;

const noDefaultServiceAccount: Rule = {
    name: "no-default-compute-service-account",
    description: "Every VM runs as a dedicated service account, never the Compute Engine default (Editor on the project)",
    resourceTypes: VM_TYPES,
    check(props) {
        const account = props.serviceAccount;
        if (!isRecord(account)) return ["instance: serviceAccount is unset; every VM must run as a dedicated service account"];
        const email = account.email;
        // GCP fills in the default account when the email is left out.
        if (email === undefined) return ["instance: serviceAccount.email is unset, which means the Compute Engine default service account"];
        if (email === "default" || (typeof email === "string" && DEFAULT_COMPUTE_ACCOUNT.test(email))) {
            return [`instance: serviceAccount.email ${shown(email)} is the Compute Engine default service account`];
        }
        return [];
    },
};

const secureBoot: Rule = {
    name: "shielded-vm-secure-boot",
    description: "Every VM boots with Shielded VM secure boot",
    resourceTypes: VM_TYPES,
    check(props) {
        const enabled = at(props, "shieldedInstanceConfig", "enableSecureBoot");
        return enabled === true ? [] : [`instance: shieldedInstanceConfig.enableSecureBoot is ${shown(enabled)}, must be true`];
    },
};

/** Every guardrail of the pack, in the order they are reported. */
export const RULES = [
    noExternalIp,
    noClusterPortsToInternet,
    privateBuckets,
    noPublicStorage,
    noDefaultServiceAccount,
    secureBoot,
    strictMtls,
    noAnonymousDashboards,
] as const satisfies readonly Rule[];
