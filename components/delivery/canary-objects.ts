import { DeliveryConfig } from "../../config/delivery-config";
import { KubernetesObject } from "../shared/kubernetes-object";

/** The released service: Online Boutique's frontend, port 80 -> 8080 (the seed's canary). */
export const FRONTEND = { name: "frontend", port: 80, targetPort: 8080 } as const;

/** Flagger's canary service: the address of the new version alone during the analysis. */
const canaryUrl = (namespace: string, path = "/") => `http://${FRONTEND.name}-canary.${namespace}${path}`;

export interface CanaryArgs {
    readonly namespace: string;
    /** The Istio Gateway (namespace/name) the public traffic arrives on; `mesh` is always added. */
    readonly gateway: string;
    /** Host names the gateway answers for (DNS names or the entry point's IP; never "*": Istio forbids it with `mesh`). */
    readonly hosts: readonly string[];
    /** The loadtester's base URL (http://flagger-loadtester.<ns>/). */
    readonly loadtesterUrl: string;
    /** Namespace of the SLI MetricTemplates. */
    readonly metricTemplatesNamespace: string;
    /** The AlertProvider to notify, when delivery.alerting is set. */
    readonly alertProvider?: { readonly name: string; readonly namespace: string };
}

/** Names of the SLI MetricTemplates (sliMetricTemplates). */
export const SLI_TEMPLATES = { errorRate: "error-rate", latencyP99: "latency-p99" } as const;

function metrics(d: DeliveryConfig, args: CanaryArgs): Record<string, unknown>[] {
    const interval = d.interval;
    const builtIn = [
        { name: "request-success-rate", thresholdRange: { min: d.metrics.minSuccessRate }, interval },
        { name: "request-duration", thresholdRange: { max: d.metrics.maxLatencyMs }, interval },
    ];
    if (!d.metrics.sli) return builtIn;
    const ref = (name: string) => ({ name, namespace: args.metricTemplatesNamespace });
    return [
        ...builtIn,
        { name: "sli-error-rate", templateRef: ref(SLI_TEMPLATES.errorRate), thresholdRange: { max: d.metrics.maxErrorRatePercent }, interval },
        { name: "sli-latency-p99", templateRef: ref(SLI_TEMPLATES.latencyP99), thresholdRange: { max: d.metrics.maxLatencyMs }, interval },
    ];
}

/**
 * The main user journeys, as a bash script the loadtester runs against a base URL: home, a
 * product page, add to cart, the cart, checkout. Fails on the first non-2xx/3xx answer.
 */
export function userJourneysScript(baseUrl: string): string {
    const curl = `curl -sS -o /dev/null -f --max-time 10 -b /tmp/journey-cookies -c /tmp/journey-cookies`;
    return [
        "set -e",
        `${curl} ${baseUrl}/`,
        `${curl} ${baseUrl}/product/OLJCESPC7Z`,
        `${curl} -X POST -d product_id=OLJCESPC7Z -d quantity=1 ${baseUrl}/cart`,
        `${curl} ${baseUrl}/cart`,
        `${curl} -X POST -d email=someone@example.com -d street_address=1600+Amphitheatre+Parkway -d zip_code=94043 -d city=Mountain+View -d state=CA -d country=US` +
            ` -d credit_card_number=4432801561520454 -d credit_card_expiration_month=1 -d credit_card_expiration_year=2039 -d credit_card_cvv=672 ${baseUrl}/cart/checkout`,
    ].join(" && ");
}

function webhooks(d: DeliveryConfig, args: CanaryArgs): Record<string, unknown>[] {
    const url = (path: string) => `${args.loadtesterUrl.replace(/\/$/, "")}${path}`;
    const hooks: Record<string, unknown>[] = [];
    if (d.webhooks.smokeTest) {
        hooks.push({
            name: "smoke-test",
            type: "pre-rollout",
            url: url("/"),
            timeout: "30s",
            metadata: { type: "bash", cmd: `curl -sSf --max-time 10 ${canaryUrl(args.namespace)} | grep -q 'Online Boutique'` },
        });
    }
    if (d.webhooks.load) {
        // No traffic, no metrics: Flagger would count every interval as a failed check.
        hooks.push({
            name: "load",
            type: "rollout",
            url: url("/"),
            timeout: "15s",
            metadata: { type: "cmd", cmd: `hey -z 1m -q 10 -c 2 ${canaryUrl(args.namespace)}` },
        });
    }
    if (d.webhooks.manualPromotion) {
        hooks.push({ name: "manual-promotion", type: "confirm-promotion", url: url("/gate/check") });
    }
    if (d.webhooks.userJourneys) {
        hooks.push({
            name: "user-journeys",
            type: "post-rollout",
            url: url("/"),
            timeout: "60s",
            metadata: { type: "bash", cmd: userJourneysScript(`http://${FRONTEND.name}.${args.namespace}`) },
        });
    }
    return hooks;
}

/** The strategy's part of the analysis: weights (canary), a match (A/B), iterations (A/B, blue/green). */
function strategy(d: DeliveryConfig): Record<string, unknown> {
    const mirror = d.mirror ? { mirror: true, ...(d.mirrorWeight !== undefined ? { mirrorWeight: d.mirrorWeight } : {}) } : {};
    switch (d.strategy) {
        case "canary":
            return { maxWeight: d.maxWeight, ...(d.stepWeights ? { stepWeights: [...d.stepWeights] } : { stepWeight: d.stepWeight }), ...mirror };
        case "ab":
            return {
                iterations: d.iterations,
                match: d.match.map((rule) =>
                    "cookie" in rule
                        ? { headers: { cookie: { regex: rule.cookie } } }
                        : {
                              headers: {
                                  [rule.header]:
                                      rule.exact !== undefined
                                          ? { exact: rule.exact }
                                          : rule.prefix !== undefined
                                            ? { prefix: rule.prefix }
                                            : { regex: rule.regex },
                              },
                          },
                ),
            };
        case "bluegreen":
            return { iterations: d.iterations, ...mirror };
        default: {
            const unknown: never = d.strategy;
            throw new Error(`unknown strategy ${String(unknown)}`);
        }
    }
}

/** The frontend's Canary (flagger.app/v1beta1): Flagger owns its Service, VirtualService and primary. */
export function frontendCanary(d: DeliveryConfig, args: CanaryArgs): KubernetesObject {
    if (args.hosts.length === 0 || args.hosts.includes("*"))
        throw new Error(`hosts ${JSON.stringify(args.hosts)}: give the gateway's host names; "*" is not allowed with the mesh gateway`);
    return {
        apiVersion: "flagger.app/v1beta1",
        kind: "Canary",
        metadata: { name: FRONTEND.name, namespace: args.namespace },
        spec: {
            targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: FRONTEND.name },
            progressDeadlineSeconds: d.progressDeadlineSeconds,
            service: {
                port: FRONTEND.port,
                targetPort: FRONTEND.targetPort,
                // `mesh` too, or in-mesh callers (the loadgenerator) bypass the weights.
                gateways: [args.gateway, "mesh"],
                hosts: [...args.hosts],
            },
            analysis: {
                interval: d.interval,
                threshold: d.threshold,
                ...strategy(d),
                metrics: metrics(d, args),
                webhooks: webhooks(d, args),
                ...(d.alerting && args.alertProvider
                    ? {
                          alerts: [
                              {
                                  name: d.alerting.provider,
                                  severity: d.alerting.severity,
                                  providerRef: { name: args.alertProvider.name, namespace: args.alertProvider.namespace },
                              },
                          ],
                      }
                    : {}),
            },
        },
    };
}
