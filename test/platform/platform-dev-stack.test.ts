import { strict as assert } from "assert";
import * as crypto from "crypto";
import { parse, parseAllDocuments } from "yaml";
import { SERVICE_ACCOUNT_ISSUER } from "../../components/cluster/control-plane";
import { GRAFANA_URL, grafanaAdminSecretData } from "../../components/platform/monitoring-objects";
import { OTEL_COLLECTOR, OTEL_COLLECTOR_HOST } from "../../components/platform/otel-collector-values";
import { FLAGGER_PRINCIPAL } from "../../components/delivery/progressive-delivery";
import { TEMPO_URL } from "../../components/platform/service-addresses";
import { Evaluation } from "../../render/evaluation";
import { dig } from "../fixtures";
import { byName, evaluateDev, manifestObjects, RecordingCloud } from "../support/program";
import { Doc, releaseValues } from "../support/release-values";

// The default dev stack; dedicated Loki nodes and layers switched off are in platform-layers.test.ts.
describe("the platform layer (dev stack, mock runtime)", function () {
    this.timeout(120_000);
    const cloud = new RecordingCloud();
    let evaluation: Evaluation;
    before(async () => {
        evaluation = await evaluateDev({}, cloud);
    });

    it("enforces mesh-wide mTLS: exactly one PeerAuthentication, STRICT, in istio-system, and no PERMISSIVE one", () => {
        const peerAuthentications = manifestObjects(evaluation).filter((object) => object.kind === "PeerAuthentication");
        assert.equal(peerAuthentications.length, 1);
        assert.equal(dig(peerAuthentications[0], "metadata", "namespace"), "istio-system");
        assert.equal(dig(peerAuthentications[0], "spec", "selector"), undefined, "mesh-wide: no workload selector");
        assert.equal(dig(peerAuthentications[0], "spec", "mtls", "mode"), "STRICT");
        assert.doesNotMatch(JSON.stringify(manifestObjects(evaluation)), /PERMISSIVE/);
    });

    it("keeps Loki's bucket private and plain: uniform access, public access prevention, no versioning, delete after retention + margin", () => {
        const bucket = byName(evaluation, "logging-bucket-chunks");
        const { inputs } = bucket;
        assert.equal(inputs.uniformBucketLevelAccess, true);
        assert.equal(inputs.publicAccessPrevention, "enforced");
        assert.equal(dig(inputs, "versioning", "enabled"), false);
        assert.deepEqual(inputs.lifecycleRules, [{ action: { type: "Delete" }, condition: { age: 14 } }]);
    });

    it("keeps logs for lokiRetentionDays (7) in Loki, shorter than the bucket's lifecycle age", async () => {
        for (const [evaluated, days] of [
            [evaluation, 7],
            [await evaluateDev({ lokiRetentionDays: "30" }), 30],
        ] as const) {
            const loki = releaseValues(evaluated, "loki");
            const retention = String(dig(loki, "loki", "limits_config", "retention_period"));
            assert.equal(retention, `${days * 24}h`);
            assert.equal(dig(loki, "loki", "compactor", "retention_enabled"), true);
            const age = Number(dig(byName(evaluated, "logging-bucket-chunks").inputs, "lifecycleRules", 0, "condition", "age"));
            assert.ok(Number.parseInt(retention, 10) / 24 < age, `retention ${retention} < lifecycle ${age} days`);
        }
    });

    it("grants the bucket to Loki's Kubernetes service account only, through the pool", () => {
        // The scaler's grant on the state bucket and the etcd backups' are other buckets (autoscaling, etcd-backup tests).
        const grants = evaluation.resources.filter(
            (resource) =>
                /^gcp:storage\/bucketIAM(Member|Binding|Policy)/.test(resource.type) &&
                resource.parent !== "autoscaling-access" &&
                resource.parent !== "etcd-backup",
        );
        assert.equal(grants.length, 1);
        const grant = grants[0].inputs;
        assert.equal(grant.role, "roles/storage.objectAdmin");
        assert.match(
            String(grant.member),
            /^principal:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/boutique-dev-[0-9a-f]{6}\/subject\/system:serviceaccount:logging:loki$/,
        );
        assert.doesNotMatch(JSON.stringify(evaluation.resources.map((resource) => resource.inputs)), /allUsers|allAuthenticatedUsers/);
    });

    it("trusts the cluster's own tokens: issuer = the API server's --service-account-issuer, JWKS kid = base64url(sha256(SPKI DER)) of the program's SA key", () => {
        const provider = byName(evaluation, "federation-provider").inputs;
        const issuer = dig(provider, "oidc", "issuerUri");
        assert.equal(issuer, SERVICE_ACCOUNT_ISSUER);
        const clusterConfiguration = parseAllDocuments(evaluation.artifacts["nodes/cp-0/kubeadm-init.yaml"])
            .map((doc) => doc.toJS() as Doc)
            .find((doc) => doc.kind === "ClusterConfiguration");
        const apiServerArgs = dig(clusterConfiguration, "apiServer", "extraArgs") as { name: string; value: string }[];
        assert.equal(apiServerArgs.find((arg) => arg.name === "service-account-issuer")?.value, issuer);

        const saPublicKey = cloud.publicKeys.get("cluster-pki-service-account-key");
        assert.ok(saPublicKey, "the service-account key was generated");
        const spki = crypto.createPublicKey(saPublicKey).export({ type: "spki", format: "der" });
        const [jwk] = (JSON.parse(String(dig(provider, "oidc", "jwksJson"))) as { keys: crypto.JsonWebKey[] }).keys;
        assert.equal(jwk.kid, crypto.createHash("sha256").update(spki).digest("base64url"));
        assert.deepEqual([jwk.alg, jwk.use, jwk.kty], ["RS256", "sig", "RSA"]);
        assert.deepEqual(crypto.createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "der" }), spki);
        assert.deepEqual(provider.attributeMapping, { "google.subject": "assertion.sub" });
    });

    it("gives Loki's pods an external_account credential and a projected token with the provider's audience, and no key", () => {
        const credentials = manifestObjects(evaluation).find(
            (object) => object.kind === "ConfigMap" && dig(object, "metadata", "name") === "loki-gcp-credentials",
        );
        const file = JSON.parse(String(dig(credentials, "data", "credentials.json"))) as Doc;
        assert.equal(file.type, "external_account");
        assert.match(
            String(file.audience),
            /^\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/boutique-dev-[0-9a-f]{6}\/providers\/kubernetes$/,
        );
        assert.equal(dig(file, "credential_source", "file"), "/var/run/secrets/gcp/token");
        const values = releaseValues(evaluation, "loki");
        const projected = dig(values, "global", "extraVolumes", 0, "projected", "sources") as Doc[];
        const token = projected.find((source) => source.serviceAccountToken)?.serviceAccountToken;
        assert.equal(dig(token, "audience"), `https:${String(file.audience)}`);
        assert.equal(dig(token, "path"), "token");
        assert.deepEqual(dig(values, "global", "extraEnv"), [{ name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/run/secrets/gcp/credentials.json" }]);
        assert.equal(dig(values, "serviceAccount", "name"), "loki");
        assert.doesNotMatch(JSON.stringify(values), /private_key|"secret":/);
    });

    it("never lets Grafana or Kiali in anonymously; Grafana's password is a generated secret", () => {
        const grafana = dig(releaseValues(evaluation, "kube-prometheus-stack"), "grafana");
        assert.equal(dig(grafana, "grafana.ini", "auth.anonymous", "enabled"), false);
        assert.equal(dig(grafana, "admin", "existingSecret"), "grafana-admin");
        const secret = manifestObjects(evaluation).find((object) => object.kind === "Secret" && dig(object, "metadata", "name") === "grafana-admin");
        // The provider marks all of stringData secret: the password never shows in plain text.
        assert.equal(dig(secret, "stringData"), "[secret]");
        assert.equal(evaluation.stackOutputs.grafanaAdminPassword, "[secret]");
        const kiali = releaseValues(evaluation, "kiali");
        assert.equal(dig(kiali, "auth", "strategy"), "token");
        assert.doesNotMatch(JSON.stringify(kiali), /anonymous/);
    });

    it("names the Services and accounts other releases reach exactly as the addresses they use", () => {
        // Each chart names its objects from these values; the other side builds the address from the same constant.
        assert.equal(
            `${String(dig(releaseValues(evaluation, "otel-collector"), "fullnameOverride"))}.${OTEL_COLLECTOR.namespace}.svc.cluster.local`,
            OTEL_COLLECTOR_HOST,
        );
        assert.ok(TEMPO_URL.startsWith(`http://${String(dig(releaseValues(evaluation, "tempo"), "fullnameOverride"))}.`), TEMPO_URL);
        assert.ok(
            GRAFANA_URL.startsWith(`http://${String(dig(releaseValues(evaluation, "kube-prometheus-stack"), "grafana", "fullnameOverride"))}.`),
            GRAFANA_URL,
        );
        assert.ok(FLAGGER_PRINCIPAL.endsWith(`/sa/${String(dig(releaseValues(evaluation, "flagger"), "serviceAccount", "name"))}`), FLAGGER_PRINCIPAL);
        // Grafana reads its login from the keys the program writes.
        const admin = dig(releaseValues(evaluation, "kube-prometheus-stack"), "grafana", "admin") as Record<string, string>;
        assert.deepEqual(Object.keys(grafanaAdminSecretData("x")).sort(), [admin.userKey, admin.passwordKey].sort());
        const secret = manifestObjects(evaluation).find((object) => object.kind === "Secret" && object.metadata.name === admin.existingSecret);
        assert.equal(secret?.metadata.namespace, "monitoring");
    });

    it("scrapes HAProxy's exporter on its internal address (the firewall lets nodes in) and alerts on its backends", () => {
        const scrape = dig(releaseValues(evaluation, "kube-prometheus-stack"), "prometheus", "prometheusSpec", "additionalScrapeConfigs", 0);
        assert.deepEqual(dig(scrape, "static_configs", 0, "targets"), ["10.10.0.2:8405"]);
        assert.match(evaluation.artifacts["haproxy.cfg"], /frontend metrics\n {4}bind 10\.10\.0\.2:8405\n/);
        const rule = byName(evaluation, "network-allow-haproxy-metrics").inputs;
        assert.deepEqual([dig(rule, "sourceTags"), dig(rule, "targetTags"), dig(rule, "allows", 0, "ports")], [["k8s-node"], ["haproxy"], ["8405"]]);
        const rules = parse(evaluation.artifacts["rules/platform-alerts.yaml"]) as { groups: { name: string; rules: { alert: string }[] }[] };
        assert.deepEqual(
            rules.groups.find((group) => group.name === "haproxy")?.rules.map((r) => r.alert),
            ["HaproxyBackendDown", "HaproxyServerDown"],
        );
    });

    it("installs in order: Cilium after the cluster, CRDs before their objects, istiod before the gateway", () => {
        const waitsFor = (name: string, dependency: string) => {
            const seen = new Set<string>();
            const queue = [name];
            while (queue.length > 0) {
                const next = byName(evaluation, queue.shift() as string);
                for (const d of next.dependsOn) {
                    if (!seen.has(d)) {
                        seen.add(d);
                        queue.push(d);
                    }
                }
                // A component's children are installed with it: waiting for it waits for them.
                for (const child of evaluation.resources.filter((r) => r.parent === next.name)) {
                    if (!seen.has(child.name)) {
                        seen.add(child.name);
                        queue.push(child.name);
                    }
                }
            }
            return seen.has(dependency);
        };
        const order: [string, string][] = [
            ["cilium", "cluster-init"],
            ["istio-base", "cilium"],
            ["istiod", "istio-base"],
            ["istio-ingressgateway", "istiod"],
            ["istio-mesh-policy", "istio-base"],
            ["kube-prometheus-stack", "storage-gce-pd"],
            ["kube-prometheus-stack", "workers-ready-wait"],
            ["loki", "storage-gce-pd"],
            ["monitoring-objects", "kube-prometheus-stack"],
            ["loki", "logging-bucket-loki-access"],
            ["otel-collector", "workers-ready-wait"],
            ["kiali", "istiod"],
            ["kiali", "kube-prometheus-stack"],
            ["onlineboutique", "istio-ingressgateway"],
            ["flagger", "kube-prometheus-stack"],
            ["delivery-frontend-canary", "flagger"],
            ["delivery-frontend-canary", "flagger-loadtester"],
            ["delivery-frontend-canary", "onlineboutique"],
        ];
        for (const [later, earlier] of order) assert.ok(waitsFor(later, earlier), `${later} waits for ${earlier}`);
        // A failing Tempo (or Loki) must not keep the collector, and so the other pipeline, from installing.
        for (const backend of ["loki", "tempo"]) assert.ok(!waitsFor("otel-collector", backend), `otel-collector does not wait for ${backend}`);
        // Cilium first: every other release and applied group waits for it.
        const onCluster = evaluation.resources.filter(
            (r) => /^kubernetes:(helm\.sh\/v3:Release|helm\.sh\/v4:Chart|yaml\/v2:ConfigGroup)$/.test(r.type) && r.name !== "cilium",
        );
        assert.ok(onCluster.length >= 10);
        for (const later of onCluster) assert.ok(waitsFor(later.name, "cilium"), `${later.name} waits for cilium`);
    });
});
