import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DeliverySettings } from "../../config/delivery-config";
import { FRONTEND, frontendCanary } from "./canary-objects";
import { applyObjects, namespace } from "../shared/cluster-objects";
import {
    alertProviderObject,
    alertWebhookSecretData,
    boutiqueGateway,
    deliveryNetworkPolicies,
    loadtesterAuthorizationPolicy,
    sliMetricTemplates,
} from "./delivery-objects";
import { flaggerValues } from "./delivery-values";
import { helmRelease } from "../shared/helm-charts";
import { INGRESS_GATEWAY, INGRESS_NAMESPACE } from "../platform/istio-mesh";
import { BoutiqueTransformOptions } from "./boutique-transforms";
import { KubernetesObject } from "../shared/kubernetes-object";
import { MONITORING_NAMESPACE, PROMETHEUS_URL } from "../platform/monitoring-objects";

export const FLAGGER_NAMESPACE = "flagger";
/** Flagger's Kubernetes service account (set in its values): the loadtester admits exactly this principal. */
export const FLAGGER_SERVICE_ACCOUNT = "flagger";
export const FLAGGER_PRINCIPAL = `cluster.local/ns/${FLAGGER_NAMESPACE}/sa/${FLAGGER_SERVICE_ACCOUNT}`;
/** The loadtester release: its Service and service account are both named after it. */
export const LOADTESTER = { release: "flagger-loadtester", podLabels: { app: "loadtester" } } as const;
const GATEWAY_NAME = "boutique-gateway";
const ALERT_PROVIDER = "chat";
const ALERT_SECRET = "flagger-alert-webhook";

export const loadtesterPrincipal = (boutiqueNamespace: string) => `cluster.local/ns/${boutiqueNamespace}/sa/${LOADTESTER.release}`;

/** Who besides the shop itself calls the frontend: the ingress gateway (users) and Flagger's loadtester (the checks). */
export function frontendCallers(boutiqueNamespace: string): BoutiqueTransformOptions["frontendCallers"] {
    return {
        principals: [INGRESS_GATEWAY.principal, loadtesterPrincipal(boutiqueNamespace)],
        namespaces: [INGRESS_NAMESPACE],
        podLabels: [LOADTESTER.podLabels],
    };
}

/** What the shop's chart must be told for Flagger to release its frontend (OnlineBoutique's `delivery`). */
export function frontendDelivery(boutiqueNamespace: string): Omit<BoutiqueTransformOptions, "images"> {
    return { target: FRONTEND.name, frontendCallers: frontendCallers(boutiqueNamespace) };
}

export interface ProgressiveDeliveryArgs {
    readonly delivery: DeliverySettings;
    /** Online Boutique's namespace (the Canary's, the loadtester's). */
    readonly namespace: pulumi.Input<string>;
    /** Host names the shop answers for: the entry point's IP and the configured DNS names. */
    readonly hosts: pulumi.Input<readonly string[]>;
    /** kube-prometheus-stack (Flagger's PodMonitor) and the chart whose frontend the Canary takes over. */
    readonly after: readonly pulumi.Resource[];
}

/**
 * Flagger (metrics from the platform's Prometheus) and its loadtester, then the frontend's
 * Canary with its Gateway, SLI MetricTemplates, optional AlertProvider, and the policies the
 * chart's deny-alls need for Prometheus and the loadtester.
 */
export class ProgressiveDelivery extends pulumi.ComponentResource {
    readonly flagger: k8s.helm.v3.Release;

    constructor(name: string, args: ProgressiveDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:delivery:ProgressiveDelivery", name, {}, opts);
        const parent = { parent: this };
        // In the mesh: with STRICT mTLS, Flagger's webhook calls to the loadtester need a sidecar.
        const flaggerNamespace = namespace(FLAGGER_NAMESPACE, { "istio-injection": "enabled" }, { ...parent, dependsOn: [...args.after] });
        this.flagger = helmRelease(
            {
                chart: "flagger",
                name: "flagger",
                namespace: flaggerNamespace.metadata.name,
                overlay: flaggerValues({ prometheusUrl: PROMETHEUS_URL, serviceAccount: FLAGGER_SERVICE_ACCOUNT }),
            },
            { ...parent, dependsOn: [...args.after] },
        );
        const loadtester = helmRelease(
            { chart: "loadtester", name: LOADTESTER.release, valuesFile: "loadtester", namespace: args.namespace },
            { ...parent, dependsOn: [...args.after] },
        );

        const { delivery } = args;
        const alertSecret =
            delivery.alerting && delivery.alertWebhookUrl
                ? new k8s.core.v1.Secret(
                      `${name}-alert-webhook`,
                      {
                          metadata: { name: ALERT_SECRET, namespace: args.namespace },
                          stringData: alertWebhookSecretData(pulumi.secret(delivery.alertWebhookUrl)),
                      },
                      parent,
                  )
                : undefined;
        const objects = pulumi.all([args.namespace, args.hosts]).apply(([ns, hosts]): KubernetesObject[] => [
            boutiqueGateway({ name: GATEWAY_NAME, namespace: ns, hosts, selector: INGRESS_GATEWAY.selector }),
            ...sliMetricTemplates(ns, PROMETHEUS_URL),
            ...(delivery.alerting
                ? [
                      alertProviderObject({
                          name: ALERT_PROVIDER,
                          namespace: ns,
                          type: delivery.alerting.provider,
                          channel: delivery.alerting.channel,
                          secretName: ALERT_SECRET,
                      }),
                  ]
                : []),
            ...deliveryNetworkPolicies({
                namespace: ns,
                monitoringNamespace: MONITORING_NAMESPACE,
                flaggerNamespace: FLAGGER_NAMESPACE,
                loadtesterLabels: LOADTESTER.podLabels,
            }),
            loadtesterAuthorizationPolicy({ namespace: ns, loadtesterLabels: LOADTESTER.podLabels, flaggerPrincipal: FLAGGER_PRINCIPAL }),
            frontendCanary(delivery, {
                namespace: ns,
                gateway: `${ns}/${GATEWAY_NAME}`,
                hosts,
                loadtesterUrl: `http://${LOADTESTER.release}.${ns}/`,
                metricTemplatesNamespace: ns,
                ...(delivery.alerting ? { alertProvider: { name: ALERT_PROVIDER, namespace: ns } } : {}),
            }),
        ]);
        // Flagger's CRDs first; the Canary's target (the chart's frontend) and its loadtester too.
        applyObjects(`${name}-${FRONTEND.name}-canary`, objects, {
            ...parent,
            dependsOn: [this.flagger, loadtester, ...args.after, ...(alertSecret ? [alertSecret] : [])],
        });
        this.registerOutputs({ flagger: this.flagger.status });
    }
}
