import { GitSource } from "../../config/gitops-config";
import { CHARTS } from "../shared/helm-charts";
import { KubernetesObject, ObjectMeta } from "../shared/kubernetes-object";
import { FRONTEND } from "./canary-objects";

/**
 * What Argo CD is told about the shop, as plain objects: the AppProject that fences it in, the
 * Application that delivers the Git path, the repository's credentials and the egress policy of
 * the one Argo CD component that leaves the cluster. components/delivery/argo-cd.ts applies them.
 */

/** Argo CD's namespace: its components, its Applications and AppProjects, its repository Secrets. */
export const ARGOCD_NAMESPACE = "argocd";

/** The AppProject's and the Application's name. */
export const BOUTIQUE_APP = "online-boutique";

/** The cluster Argo CD runs in, as its Applications name it. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

/** A kind an AppProject admits, by API group ("" for core). */
export interface GroupKind {
    readonly group: string;
    readonly kind: string;
}

/**
 * Exactly the kinds the onlineboutique chart renders with values/onlineboutique.yaml
 * (test/delivery/gitops-objects.test.ts renders it and compares): anything else in the Git path
 * (a ClusterRole, a Secret, a Flagger Canary) is refused at sync.
 */
export const BOUTIQUE_KINDS: readonly GroupKind[] = [
    { group: "apps", kind: "Deployment" },
    { group: "", kind: "Service" },
    { group: "", kind: "ServiceAccount" },
    { group: "networking.k8s.io", kind: "NetworkPolicy" },
    { group: "networking.istio.io", kind: "Sidecar" },
    { group: "security.istio.io", kind: "AuthorizationPolicy" },
];

/** The Helm release: the chart names its objects and labels its pods after it (argocd-repo-server, ...). */
export const ARGOCD_RELEASE = "argocd";

/** Argo CD's console, http://localhost:8080 (login admin, the stack's argocdAdminPassword); the server serves plain HTTP behind the tunnel. */
export const ARGOCD_PORT_FORWARD = `kubectl -n ${ARGOCD_NAMESPACE} port-forward svc/${ARGOCD_RELEASE}-server 8080:80`;

/** The Argo CD components' pod labels, as the chart sets them under ARGOCD_RELEASE. */
export const ARGOCD_PODS = {
    repoServer: { "app.kubernetes.io/instance": ARGOCD_RELEASE, "app.kubernetes.io/name": `${ARGOCD_RELEASE}-repo-server` },
    redis: { "app.kubernetes.io/instance": ARGOCD_RELEASE, "app.kubernetes.io/name": `${ARGOCD_RELEASE}-redis` },
} as const;

/** Redis's port (the chart's argocd-redis Service and container). */
export const ARGOCD_REDIS_PORT = 6379;

export interface ProjectArgs {
    readonly repoUrl: string;
    /** The shop's namespace: the only place the project deploys to. */
    readonly destinationNamespace: string;
}

/**
 * The shop's AppProject: one repository, one namespace of this cluster, no cluster-scoped kind
 * (the program owns the namespace) and only the chart's namespaced kinds.
 */
export function boutiqueProject(args: ProjectArgs): KubernetesObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AppProject",
        metadata: { name: BOUTIQUE_APP, namespace: ARGOCD_NAMESPACE },
        spec: {
            description: "Online Boutique from its Git path",
            sourceRepos: [args.repoUrl],
            destinations: [{ server: IN_CLUSTER, namespace: args.destinationNamespace }],
            clusterResourceWhitelist: [],
            namespaceResourceWhitelist: BOUTIQUE_KINDS.map(({ group, kind }) => ({ group, kind })),
        },
    };
}

/** A field Argo CD leaves alone, in the diff and (RespectIgnoreDifferences) at sync. */
export interface IgnoredDifference {
    readonly group: string;
    readonly kind: string;
    readonly name: string;
    readonly namespace: string;
    readonly jsonPointers: readonly string[];
}

/**
 * The fields of objects in Git that Flagger writes: the frontend Deployment's replicas (Flagger
 * scales the target to zero once the primary serves) and the apex `frontend` Service's selector
 * and ports (Flagger points it at frontend-primary). Without these, self-heal would undo Flagger
 * every few minutes: the target scaled back up, the apex Service back on the canary's pods.
 *
 * What Flagger creates (frontend-primary, the frontend-canary and frontend-primary Services, the
 * DestinationRules and the VirtualService) is not in Git, and Argo CD does not claim it: with
 * annotation tracking (values/argo-cd.yaml) an object is the Application's only when its
 * `argocd.argoproj.io/tracking-id` names that very object. Flagger copies the target's annotations
 * (and the labels its includeLabelPrefix names, none here) onto frontend-primary, so the copy's
 * tracking id names Deployment boutique/frontend, not itself: Argo CD neither shows it as out of
 * sync nor prunes it (argoproj/argo-cd#8683, fixed in 2.4). The primary's owner is the Canary.
 */
export function flaggerOwnedFields(namespace: string): IgnoredDifference[] {
    return [
        { group: "apps", kind: "Deployment", name: FRONTEND.name, namespace, jsonPointers: ["/spec/replicas"] },
        { group: "", kind: "Service", name: FRONTEND.name, namespace, jsonPointers: ["/spec/selector", "/spec/ports"] },
    ];
}

export interface ApplicationArgs {
    readonly source: Pick<GitSource, "repoUrl" | "revision" | "path">;
    readonly destinationNamespace: string;
}

/**
 * The shop's Application: the Git path, synced automatically, pruned and self-healed, with what
 * Flagger owns ignored.
 *
 * No `resources-finalizer.argocd.argoproj.io` finalizer, on purpose: deleting the Application
 * (switching boutiqueDeliveredBy back to pulumi) must leave the shop running while the program
 * takes it over, not cascade-delete every Deployment first. No CreateNamespace either: the
 * program creates the namespace, labelled for the mesh, in both modes.
 */
export function boutiqueApplication(args: ApplicationArgs): KubernetesObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: BOUTIQUE_APP, namespace: ARGOCD_NAMESPACE },
        spec: {
            project: BOUTIQUE_APP,
            source: { repoURL: args.source.repoUrl, targetRevision: args.source.revision, path: args.source.path },
            destination: { server: IN_CLUSTER, namespace: args.destinationNamespace },
            syncPolicy: {
                automated: { prune: true, selfHeal: true },
                // The ignored fields are also left alone when Argo CD applies (not only in the diff).
                syncOptions: ["RespectIgnoreDifferences=true"],
            },
            ignoreDifferences: flaggerOwnedFields(args.destinationNamespace).map((field) => ({ ...field, jsonPointers: [...field.jsonPointers] })),
        },
    };
}

/** The repository Secret: Argo CD reads a Secret of its namespace labelled secret-type repository as a repository's credentials. */
export const REPOSITORY_SECRET: ObjectMeta = {
    name: "online-boutique-repo",
    namespace: ARGOCD_NAMESPACE,
    labels: { "argocd.argoproj.io/secret-type": "repository" },
};

/** The repository Secret's fields; `Password` stays a secret Output in the component. */
export function repositorySecretData<Password>(
    repoUrl: string,
    credentials: { readonly username: string; readonly password: Password },
): { readonly type: "git"; readonly url: string; readonly username: string; readonly password: Password } {
    return { type: "git", url: repoUrl, username: credentials.username, password: credentials.password };
}

/** The repository Secret (only for a private repository); its stringData is repositorySecretData's. The component applies exactly this. */
export function repositorySecret<Password>(
    repoUrl: string,
    credentials: { readonly username: string; readonly password: Password },
): KubernetesObject & { readonly type: "Opaque"; readonly stringData: ReturnType<typeof repositorySecretData<Password>> } {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: REPOSITORY_SECRET,
        type: "Opaque",
        stringData: repositorySecretData(repoUrl, credentials),
    };
}

/** The Git host's port: the URL's own, else HTTPS's 443. */
export function gitPort(repoUrl: string): number {
    const url = new URL(repoUrl);
    if (url.protocol !== "https:") throw new Error(`${repoUrl}: Argo CD reads the shop over HTTPS only`);
    return url.port === "" ? 443 : Number(url.port);
}

/** The port of the registry the Git path's helmCharts pulls the onlineboutique chart from (an OCI registry speaks HTTPS). */
export const CHART_REGISTRY_PORT = gitPort(CHARTS.onlineBoutique.repo.replace(/^oci:/, "https:"));

/** The ports the repo-server reaches outside the cluster: the Git host's, and the chart registry's. */
export function outboundPorts(repoUrl: string): number[] {
    return [...new Set([gitPort(repoUrl), CHART_REGISTRY_PORT])];
}

export interface EgressArgs {
    readonly repoUrl: string;
    /** The cluster's pod and service ranges: the Git host is outside both. */
    readonly podCidr: string;
    readonly serviceCidr: string;
}

/**
 * NetworkPolicies beyond the chart's (which admit Ingress only): the repo-server, the one
 * component that runs what the Git path holds (kustomize, helm), may reach DNS, Redis (its cache)
 * and, outside the cluster, the Git host's port and the chart registry's (the Git path's
 * helmCharts pulls the chart from it unless the chart is vendored), nothing else: a compromised
 * render cannot probe the cluster.
 *
 * The controller, the server and the ApplicationSet controller keep egress open: they talk to
 * the API server, which Cilium classifies as the kube-apiserver (or host / remote-node) entity.
 * A Kubernetes ipBlock does not select cluster nodes unless Cilium's policy-cidr-match-mode
 * includes `nodes` (values/cilium.yaml leaves it empty), so no NetworkPolicy can admit the API
 * server without admitting everything. Redis's Ingress policy (the chart's) is what guards it.
 *
 * Prometheus is admitted nothing: Argo CD's metrics are off (values/argo-cd.yaml keeps the
 * chart's default), and the chart opens its metrics ports itself when they are turned on.
 */
export function argoCdNetworkPolicies(args: EgressArgs): KubernetesObject[] {
    return [
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "argocd-repo-server-egress", namespace: ARGOCD_NAMESPACE },
            spec: {
                podSelector: { matchLabels: { ...ARGOCD_PODS.repoServer } },
                policyTypes: ["Egress"],
                egress: [
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
                    { to: [{ podSelector: { matchLabels: { ...ARGOCD_PODS.redis } } }], ports: [{ port: ARGOCD_REDIS_PORT, protocol: "TCP" }] },
                    {
                        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [args.podCidr, args.serviceCidr] } }],
                        ports: outboundPorts(args.repoUrl).map((port) => ({ port, protocol: "TCP" })),
                    },
                ],
            },
        },
    ];
}
