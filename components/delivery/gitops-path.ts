/**
 * The shop's Git path, as Argo CD renders it: kustomize over the pinned onlineboutique chart
 * (kustomize's Helm inflator, `kustomize.buildOptions: --enable-helm`), the program's values, and
 * the six Flagger collision fixes (../shared/reference/delivery.md) as declarative kustomize
 * patches. The same fixes are made in the default mode by boutique-transforms.ts, over whatever
 * the chart renders; here each patch names the object and the field it changes, and a JSON
 * patch `test` op checks the chart still has what the fix expects, so a chart that moved fails
 * the build instead of shipping a half-fixed shop. test/delivery/gitops-equality.test.ts renders
 * both with the real tools and checks they are the same objects.
 *
 *   <gitopsPath>/kustomization.yaml        the release file: `resources: [shop]` and one image
 *                                          per service (the release job's; written here once)
 *   <gitopsPath>/shop/kustomization.yaml   the chart, its values file, the fixes (the platform's)
 *   <gitopsPath>/shop/values.yaml
 */

import { stringify } from "yaml";
import { BOUTIQUE_SERVICES, BoutiqueService } from "../../config/boutique-config";
import { kustomizeImages } from "../../config/boutique-images";
import { ChartSource } from "../shared/helm-charts";
import { BoutiqueTransformOptions, SERVICE_LABEL, SIDECAR_EXTRA_EGRESS } from "./boutique-transforms";

/** The chart's Redis Deployment (cartDatabase.inClusterRedis, the chart's default cart store). */
const CART_DATABASE = "redis-cart";

/** The services whose NetworkPolicy admits the frontend (the ones it calls), as the chart writes each: from[0] of ingress[0]. */
export const FRONTEND_CALLEES: readonly BoutiqueService[] = [
    "adservice",
    "cartservice",
    "checkoutservice",
    "currencyservice",
    "productcatalogservice",
    "recommendationservice",
    "shippingservice",
];

export interface ShopGitPathArgs {
    readonly chart: ChartSource;
    /** Helm release name (the same the program gives its chart). */
    readonly releaseName: string;
    readonly namespace: string;
    /** The chart's values: values/onlineboutique.yaml overlaid with the computed ones, as the program passes them. */
    readonly values: unknown;
    /** The Flagger target, who else calls it, and the images (by service). */
    readonly delivery: BoutiqueTransformOptions;
}

type JsonPatchOp = { readonly op: "test" | "add" | "replace"; readonly path: string; readonly value: unknown };

interface KustomizePatch {
    readonly target: { readonly group?: string; readonly kind: string; readonly name?: string };
    readonly patch: string;
}

/** A JSON pointer segment: "/" and "~" escaped (RFC 6901). */
const pointer = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

function jsonPatch(target: KustomizePatch["target"], ops: readonly JsonPatchOp[]): KustomizePatch {
    return { target, patch: stringify(ops, { lineWidth: 0 }) };
}

/** `{app: <target>}` at `path` (checked) becomes `{SERVICE_LABEL: <target>}`. */
function retargeted(path: string, target: string): JsonPatchOp[] {
    return [
        { op: "test", path, value: { app: target } },
        { op: "replace", path, value: { [SERVICE_LABEL]: target } },
    ];
}

/** The fixes, object by object. */
export function shopPatches(delivery: BoutiqueTransformOptions): KustomizePatch[] {
    const { target, frontendCallers } = delivery;
    const deployments = [...BOUTIQUE_SERVICES, CART_DATABASE];
    return [
        // Every pod says which service it is, whatever Flagger renames `app` to on the primary.
        ...deployments.map((name) =>
            jsonPatch({ group: "apps", kind: "Deployment", name }, [
                { op: "add", path: `/spec/template/metadata/labels/${pointer(SERVICE_LABEL)}`, value: name },
            ]),
        ),
        // Flagger scales the target and its primary: no replicas here (a no-op on this chart, which sets none).
        {
            target: { group: "apps", kind: "Deployment", name: target },
            patch: stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: target }, spec: { replicas: null } }),
        },
        // Flagger's apex Service selects the primary; the chart's says the same, so neither undoes the other.
        jsonPatch({ kind: "Service", name: target }, [
            { op: "test", path: "/spec/selector", value: { app: target } },
            { op: "replace", path: "/spec/selector", value: { app: `${target}-primary` } },
        ]),
        // The callees admit the frontend's pods by the label the primary keeps.
        ...FRONTEND_CALLEES.map((name) =>
            jsonPatch({ group: "networking.k8s.io", kind: "NetworkPolicy", name }, retargeted("/spec/ingress/0/from/0/podSelector/matchLabels", target)),
        ),
        // The frontend's policy selects canary and primary, and admits the gateway's namespace and the loadtester.
        jsonPatch({ group: "networking.k8s.io", kind: "NetworkPolicy", name: target }, [
            ...retargeted("/spec/podSelector/matchLabels", target),
            ...frontendCallers.namespaces.map((namespace): JsonPatchOp => ({
                op: "add",
                path: "/spec/ingress/0/from/-",
                value: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } },
            })),
            ...frontendCallers.podLabels.map((labels): JsonPatchOp => ({
                op: "add",
                path: "/spec/ingress/0/from/-",
                value: { podSelector: { matchLabels: labels } },
            })),
        ]),
        jsonPatch({ group: "security.istio.io", kind: "AuthorizationPolicy", name: target }, [
            ...retargeted("/spec/selector/matchLabels", target),
            ...frontendCallers.principals.map((principal): JsonPatchOp => ({ op: "add", path: "/spec/rules/0/from/0/source/principals/-", value: principal })),
        ]),
        jsonPatch({ group: "networking.istio.io", kind: "Sidecar", name: target }, retargeted("/spec/workloadSelector/labels", target)),
        // Every Sidecar imports the platform's trace collector (istio/istio#53701): one patch for all of them.
        jsonPatch(
            { group: "networking.istio.io", kind: "Sidecar" },
            SIDECAR_EXTRA_EGRESS.map((host): JsonPatchOp => ({ op: "add", path: "/spec/egress/0/hosts/-", value: host })),
        ),
    ];
}

const HEADER = (lines: readonly string[]) => lines.map((line) => `# ${line}`.trimEnd()).join("\n") + "\n";

const KUSTOMIZATION = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization" } as const;

const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });

/** The Git path's files, by path relative to it. */
export function renderShopGitPath(args: ShopGitPathArgs): Record<string, string> {
    const shop = {
        ...KUSTOMIZATION,
        namespace: args.namespace,
        helmCharts: [
            {
                name: args.chart.chart,
                repo: args.chart.repo,
                version: args.chart.version,
                releaseName: args.releaseName,
                namespace: args.namespace,
                valuesFile: "values.yaml",
            },
        ],
        patches: shopPatches(args.delivery),
    };
    const release = { ...KUSTOMIZATION, resources: ["shop"], images: kustomizeImages(args.delivery.images) };
    return {
        "kustomization.yaml":
            HEADER([
                "Online Boutique for Argo CD: the image each service runs. The release job (.gitlab-ci.yml, release)",
                "commits one image at a time here; the shop itself is shop/, which npm run render writes.",
            ]) + yaml(release),
        "shop/kustomization.yaml":
            HEADER([
                `The pinned ${args.chart.chart} chart (${args.chart.version}) with the platform's values and its Flagger fixes`,
                "(components/delivery/gitops-path.ts). Written by npm run render: change the program, not this file.",
                `Offline: helm pull ${args.chart.repo}/${args.chart.chart} --version ${args.chart.version} --untar --untardir charts/${args.chart.chart}-${args.chart.version}`,
            ]) + yaml(shop),
        "shop/values.yaml":
            HEADER([`Values of the ${args.chart.chart} chart, as the program passes them (values/onlineboutique.yaml and code).`]) + yaml(args.values),
    };
}
