import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { GitSource } from "../../config/gitops-config";
import { applyObjects, namespace } from "../shared/cluster-objects";
import { helmRelease } from "../shared/helm-charts";
import { ARGOCD_SECRET, argoCdSecretData } from "./argo-cd-values";
import { argoCdRuleGroup } from "./argo-cd-alerts";
import { prometheusRuleObject } from "../platform/alert-rules";
import { MONITORING_NAMESPACE } from "../platform/monitoring-objects";
import { ARGOCD_NAMESPACE, ARGOCD_RELEASE, argoCdNetworkPolicies, boutiqueApplication, boutiqueProject, gitPort, repositorySecret } from "./gitops-objects";

export interface ArgoCdArgs {
    /** The Git repository, revision and folder Argo CD reads the shop from (config: gitopsRepoUrl, ...). */
    readonly source: GitSource;
    /** The shop's namespace (OnlineBoutique's, created by the program in both delivery modes). */
    readonly shopNamespace: pulumi.Input<string>;
    /** The cluster's pod range: the repo-server's egress to the Git host excludes it. */
    readonly podCidr: string;
    /** The cluster's service range: excluded likewise. */
    readonly serviceCidr: string;
    /**
     * What must be up first: the CNI (NetworkPolicies), the shop's namespace and kube-prometheus-stack
     * (the chart renders its ServiceMonitor only once that CRD exists; the alerts are a PrometheusRule).
     */
    readonly after: readonly pulumi.Resource[];
}

/**
 * Argo CD, delivering Online Boutique from its Git path (boutiqueDeliveredBy: argocd): the chart
 * (values/argo-cd.yaml), a generated admin password (its hash in argocd-secret), the repository's
 * credentials when the repository is private, the repo-server's egress policy, and the AppProject
 * and Application.
 *
 * Argo CD stays out of the mesh (its namespace is labelled istio-injection: disabled): the
 * repo-server, Redis and the redis-secret-init hook Job have known trouble under STRICT mTLS, and
 * the mesh would protect nothing: Argo CD talks only to the API server, to the Git host (and the
 * chart registry) and to itself, none of them in the mesh, and nothing in the mesh calls it. Admins reach its server by
 * `kubectl -n argocd port-forward svc/argocd-server 8080:80`, login admin and `adminPassword`.
 *
 * Name it anything but `argocd`, the Helm release's name (resource names are unique): "gitops".
 */
export class ArgoCd extends pulumi.ComponentResource {
    /** The Application (and its AppProject): what the shop's delivery waits on. */
    readonly application: pulumi.Resource;
    /** The admin account's password (secret). */
    readonly adminPassword: pulumi.Output<string>;

    constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:delivery:ArgoCd", name, {}, opts);
        gitPort(args.source.repoUrl); // an https:// URL, checked before any child exists
        const parent = { parent: this };
        const ns = namespace(ARGOCD_NAMESPACE, { "istio-injection": "disabled" }, { ...parent, dependsOn: [...args.after] });

        const password = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, parent);
        this.adminPassword = pulumi.secret(password.result);

        const policies = applyObjects(
            `${name}-network-policies`,
            argoCdNetworkPolicies({ repoUrl: args.source.repoUrl, podCidr: args.podCidr, serviceCidr: args.serviceCidr }),
            { ...parent, dependsOn: [ns] },
        );
        const adminLogin = new k8s.core.v1.Secret(
            `${name}-admin-login`,
            { metadata: ARGOCD_SECRET, type: "Opaque", stringData: pulumi.secret(argoCdSecretData(password.bcryptHash)) },
            { ...parent, dependsOn: [ns] },
        );
        const release = helmRelease(
            { chart: "argoCd", name: ARGOCD_RELEASE, valuesFile: "argo-cd", namespace: ns.metadata.name },
            { ...parent, dependsOn: [...args.after, ns, policies, adminLogin] },
        );

        // The repository's credentials (a private repository only), the whole stringData secret.
        const secret = args.source.credentials && repositorySecret(args.source.repoUrl, args.source.credentials);
        const repository = secret
            ? [
                  new k8s.core.v1.Secret(
                      `${name}-repository`,
                      { metadata: secret.metadata, type: secret.type, stringData: pulumi.secret(secret.stringData) },
                      { ...parent, dependsOn: [ns] },
                  ),
              ]
            : [];

        // The CRDs come with the release: the project and the Application wait for it (and for
        // the credentials, or the first sync fails to clone).
        this.application = applyObjects(
            `${name}-application`,
            pulumi
                .output(args.shopNamespace)
                .apply((shop) => [
                    boutiqueProject({ repoUrl: args.source.repoUrl, destinationNamespace: shop }),
                    boutiqueApplication({ source: args.source, destinationNamespace: shop }),
                ]),
            { ...parent, dependsOn: [release, ...repository] },
        );
        // The delivery's alerts, beside the platform's (the operator's ruleSelector takes every PrometheusRule).
        applyObjects(`${name}-alerts`, [prometheusRuleObject("argocd-alerts", MONITORING_NAMESPACE, [argoCdRuleGroup()])], {
            ...parent,
            dependsOn: [...args.after, release],
        });
        this.registerOutputs({ adminPassword: this.adminPassword, application: this.application });
    }
}
