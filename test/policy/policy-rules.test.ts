import { strict as assert } from "assert";
import { NETWORK_TAGS } from "../../components/cluster/firewall-rules";
import { Props } from "../../policy/props";
import { RULES } from "../../policy/rules";
import { asEngineProps, DEFAULT_ACCOUNT, externalIp, NEVER_PUBLIC, opens, weakMtls } from "../support/policy-guardrails";

type Case = readonly [title: string, props: Props, violations: readonly string[]];

const vm = (props: Props = {}): Props => ({
    tags: [NETWORK_TAGS.node, NETWORK_TAGS.worker],
    networkInterfaces: [{ subnetwork: "nodes", accessConfigs: [] }],
    serviceAccount: { email: "boutique-dev-nodes@boutique-dev-000000.iam.gserviceaccount.com", scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
    shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
    ...props,
});

const firewall = (props: Props = {}): Props => ({ direction: "INGRESS", sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["22"] }], ...props });

const peerAuthentication = (spec: Props, apiVersion = "security.istio.io/v1"): Props => ({
    apiVersion,
    kind: "PeerAuthentication",
    metadata: { name: "default", namespace: "boutique" },
    spec,
});
const NAMESPACE = { apiVersion: "v1", kind: "Namespace", metadata: { name: "boutique" } };

const release = (chart: string, values: Props): Props => ({ chart, version: "1.0.0", namespace: "monitoring", values });
const anonymous = (section: boolean | string) => ({ "grafana.ini": { "auth.anonymous": { enabled: section } } });

const CASES: Readonly<Record<string, readonly Case[]>> = {
    "no-external-ip-except-haproxy": [
        ["no access config", vm(), []],
        [
            "the haproxy-tagged VM with an access config",
            vm({ tags: [NETWORK_TAGS.haproxy], networkInterfaces: [{ accessConfigs: [{ natIp: "203.0.113.11" }] }] }),
            [],
        ],
        ["a node with an ephemeral external IP", vm({ networkInterfaces: [{ accessConfigs: [{}] }] }), [externalIp(0, "accessConfigs", "IPv4")]],
        [
            "an IPv6 access config on the second interface",
            vm({ networkInterfaces: [{}, { ipv6AccessConfigs: [{ networkTier: "PREMIUM" }] }] }),
            [externalIp(1, "ipv6AccessConfigs", "IPv6")],
        ],
        ["no tags at all", { networkInterfaces: [{ accessConfigs: [{}] }] }, [externalIp(0, "accessConfigs", "IPv4")]],
    ],
    "no-cluster-ports-open-to-internet": [
        ["80 and 443 to the internet", firewall({ allows: [{ protocol: "tcp", ports: ["80", "443"] }] }), []],
        ["22 from an admin network", firewall({ sourceRanges: ["203.0.113.0/24"] }), []],
        ["22 from tags only", firewall({ sourceRanges: undefined, sourceTags: [NETWORK_TAGS.haproxy] }), []],
        ["udp 22 to the internet", firewall({ allows: [{ protocol: "udp", ports: ["22"] }] }), []],
        ["an EGRESS rule", firewall({ direction: "EGRESS", destinationRanges: ["0.0.0.0/0"] }), []],
        ["tcp 22 to 0.0.0.0/0", firewall(), [opens(22)]],
        ["direction unset means INGRESS", firewall({ direction: undefined }), [opens(22)]],
        ["a range 1-65535", firewall({ allows: [{ protocol: "tcp", ports: ["1-65535"] }] }), [opens(22), opens(6443), opens(10250)]],
        ["a range 6000-7000 holding 6443", firewall({ allows: [{ protocol: "tcp", ports: ["80", "6000-7000"] }] }), [opens(6443)]],
        ["protocol all without ports", firewall({ allows: [{ protocol: "all" }] }), [opens(22), opens(6443), opens(10250)]],
        ["protocol number 6 (tcp)", firewall({ allows: [{ protocol: "6", ports: ["10250"] }] }), [opens(10250)]],
        [
            "::/0 among other ranges",
            firewall({ sourceRanges: ["10.0.0.0/8", "::/0"], allows: [{ protocol: "tcp", ports: ["10250"] }] }),
            [opens(10250, "::/0")],
        ],
        ["no source at all", firewall({ sourceRanges: [] }), [opens(22, "0.0.0.0/0 (GCP's default when a rule names no source)")]],
    ],
    "buckets-uniform-access-public-access-prevention": [
        ["uniform access, prevention enforced", { uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" }, []],
        [
            "prevention inherited",
            { uniformBucketLevelAccess: true, publicAccessPrevention: "inherited" },
            ['bucket: publicAccessPrevention is "inherited", must be "enforced"'],
        ],
        ["neither set", {}, ["bucket: uniformBucketLevelAccess is unset, must be true", 'bucket: publicAccessPrevention is unset, must be "enforced"']],
    ],
    "storage-never-public": [
        ["a service account member", { member: "serviceAccount:loki@p.iam.gserviceaccount.com" }, []],
        ["allUsers as the member", { member: "allUsers" }, [`member is "allUsers"; ${NEVER_PUBLIC}`]],
        ["allUsers among a binding's members", { members: ["group:ops@example.com", "allUsers"] }, [`members include "allUsers"; ${NEVER_PUBLIC}`]],
        ["a private policy", { policyData: JSON.stringify({ bindings: [{ role: "roles/storage.admin", members: ["group:ops@example.com"] }] }) }, []],
        [
            "a policy binding allAuthenticatedUsers",
            {
                policyData: JSON.stringify({
                    bindings: [
                        { role: "roles/storage.admin", members: ["group:ops@example.com"] },
                        { role: "roles/storage.objectViewer", members: ["allAuthenticatedUsers"] },
                    ],
                }),
            },
            [`policyData binds "allAuthenticatedUsers" to "roles/storage.objectViewer"; ${NEVER_PUBLIC}`],
        ],
        ["policyData that is not JSON", { policyData: "{" }, ["policyData is not JSON, so it cannot be checked for public members"]],
        ["a project ACL entity", { entity: "project-viewers-123", role: "READER" }, []],
        [
            "allAuthenticatedUsers as the ACL entity",
            { entity: "allAuthenticatedUsers", role: "READER" },
            [`entity is "allAuthenticatedUsers"; ${NEVER_PUBLIC}`],
        ],
        [
            "roleEntities granting allUsers",
            { roleEntities: ["OWNER:project-owners-123", "READER:allUsers"] },
            [`roleEntities include "READER:allUsers"; ${NEVER_PUBLIC}`],
        ],
        ["a public predefined ACL", { predefinedAcl: "publicRead", defaultAcl: "private" }, [`predefinedAcl is "publicRead"; ${NEVER_PUBLIC}`]],
    ],
    "no-default-compute-service-account": [
        ["a dedicated account", vm(), []],
        ["a lookalike outside developer.gserviceaccount.com", vm({ serviceAccount: { email: "123-compute@p.iam.gserviceaccount.com" } }), []],
        [
            'email "default"',
            vm({ serviceAccount: { email: "default", scopes: ["cloud-platform"] } }),
            [`instance: serviceAccount.email "default" ${DEFAULT_ACCOUNT}`],
        ],
        [
            "the project-number account",
            vm({ serviceAccount: { email: "123456789012-compute@developer.gserviceaccount.com" } }),
            [`instance: serviceAccount.email "123456789012-compute@developer.gserviceaccount.com" ${DEFAULT_ACCOUNT}`],
        ],
        [
            "scopes without an email",
            vm({ serviceAccount: { scopes: ["cloud-platform"] } }),
            ["instance: serviceAccount.email is unset, which means the Compute Engine default service account"],
        ],
        ["no serviceAccount", vm({ serviceAccount: undefined }), ["instance: serviceAccount is unset; every VM must run as a dedicated service account"]],
    ],
    "shielded-vm-secure-boot": [
        ["secure boot on", vm(), []],
        [
            "secure boot off",
            vm({ shieldedInstanceConfig: { enableSecureBoot: false } }),
            ["instance: shieldedInstanceConfig.enableSecureBoot is false, must be true"],
        ],
        ["no shielded config", vm({ shieldedInstanceConfig: undefined }), ["instance: shieldedInstanceConfig.enableSecureBoot is unset, must be true"]],
    ],
    "istio-mtls-not-permissive": [
        ["STRICT", peerAuthentication({ mtls: { mode: "STRICT" } }), []],
        ["UNSET with a STRICT port", peerAuthentication({ mtls: { mode: "UNSET" }, portLevelMtls: { "8080": { mode: "STRICT" } } }), []],
        ["PERMISSIVE", peerAuthentication({ mtls: { mode: "PERMISSIVE" } }, "security.istio.io/v1beta1"), [weakMtls("spec.mtls.mode", "PERMISSIVE")]],
        [
            "DISABLE on one port",
            peerAuthentication({ mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "STRICT" }, "9090": { mode: "DISABLE" } } }),
            [weakMtls("spec.portLevelMtls[9090].mode", "DISABLE")],
        ],
        ["a ConfigGroup's STRICT mesh policy", { objs: [NAMESPACE, peerAuthentication({ mtls: { mode: "STRICT" } })] }, []],
        ["a ConfigGroup's objs", { objs: [NAMESPACE, peerAuthentication({ mtls: { mode: "PERMISSIVE" } })] }, [weakMtls("spec.mtls.mode", "PERMISSIVE")]],
        [
            "a ConfigGroup's yaml",
            {
                yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: legacy, namespace: shop}\nspec: {mtls: {mode: DISABLE}}\n",
            },
            [weakMtls("spec.mtls.mode", "DISABLE", "shop/legacy")],
        ],
        [
            "a ConfigMap that mentions PERMISSIVE",
            { objs: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, spec: { mtls: { mode: "PERMISSIVE" } } }] },
            [],
        ],
    ],
    "grafana-kiali-no-anonymous-access": [
        ["Grafana with anonymous access off", release("kube-prometheus-stack", { grafana: anonymous(false) }), []],
        [
            "Grafana in kube-prometheus-stack, anonymous",
            release("kube-prometheus-stack", { grafana: anonymous(true) }),
            ['kube-prometheus-stack: values.grafana["grafana.ini"]["auth.anonymous"].enabled is true; Grafana must not allow anonymous access'],
        ],
        [
            "the grafana chart, from a repository, anonymous as a string",
            release("grafana/grafana", anonymous("true")),
            ['grafana: values["grafana.ini"]["auth.anonymous"].enabled is "true"; Grafana must not allow anonymous access'],
        ],
        ["kiali-server with token login", release("kiali-server", { auth: { strategy: "token" } }), []],
        ["kiali-server with the strategy unset", release("kiali-server", {}), []],
        [
            "kiali-server, anonymous",
            release("kiali-server", { auth: { strategy: "anonymous" } }),
            ['kiali-server: values.auth.strategy is "anonymous"; Kiali must not allow anonymous access'],
        ],
        [
            "kiali-operator's CR, anonymous",
            release("kiali/kiali-operator", { cr: { spec: { auth: { strategy: "anonymous" } } } }),
            ['kiali-operator: values.cr.spec.auth.strategy is "anonymous"; Kiali must not allow anonymous access'],
        ],
        ["another chart's auth.strategy", release("my-app", { auth: { strategy: "anonymous" } }), []],
    ],
};

describe("policy pack: guardrails", () => {
    it("has compliant and violating cases for every rule, and no cases for rules that do not exist", () => {
        assert.deepEqual(Object.keys(CASES).sort(), RULES.map((rule) => rule.name).sort());
        for (const rule of RULES) {
            assert.ok(
                CASES[rule.name]?.some(([, , found]) => found.length === 0),
                `${rule.name}: a compliant case`,
            );
            assert.ok(
                CASES[rule.name]?.some(([, , found]) => found.length > 0),
                `${rule.name}: a violating case`,
            );
        }
    });

    for (const rule of RULES) {
        describe(rule.name, () => {
            for (const [title, props, expected] of CASES[rule.name] ?? []) {
                it(expected.length === 0 ? `allows ${title}` : `reports ${title}`, () => assert.deepEqual(rule.check(asEngineProps(props)), expected));
            }
        });
    }
});
