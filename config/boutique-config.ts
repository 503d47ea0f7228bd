import { quoteInput } from "./cli";
import { z } from "zod";
import { flag, imageProblem, rawText } from "./fields";
import { jsonList, parseJson, repeatedValues } from "./json-fields";

/** Online Boutique's Deployments (chart 0.10.x), the names a forked image may replace. */
export const BOUTIQUE_SERVICES = [
    "adservice",
    "cartservice",
    "checkoutservice",
    "currencyservice",
    "emailservice",
    "frontend",
    "loadgenerator",
    "paymentservice",
    "productcatalogservice",
    "recommendationservice",
    "shippingservice",
] as const;
export type BoutiqueService = (typeof BOUTIQUE_SERVICES)[number];

export interface BoutiqueConfig {
    readonly enabled: boolean;
    readonly loadGenerator: boolean;
    /** Public host names of the shop (the entry point's IP is always one). */
    readonly hosts: readonly string[];
    /** Full image references replacing the chart's, by service. */
    readonly images: Readonly<Partial<Record<BoutiqueService, string>>>;
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Names that resolve inside a cluster, a VPC or a host rather than on the internet, by their last label. */
const PRIVATE_TOP_LABELS = ["svc", "local", "internal", "localhost", "arpa", "test", "invalid", "alt", "home", "lan", "corp", "intranet"];

/**
 * Namespaces a pod resolves `<service>.<namespace>` in (its search path adds `.svc.cluster.local`):
 * Kubernetes' own, and every one the platform creates whose name is also a valid last label.
 * test/config/stack-config.test.ts keeps the list in step with the namespaces the program creates.
 */
export const CLUSTER_NAMESPACES = ["default", "boutique", "monitoring", "logging", "tracing", "otel", "autoscaler", "flagger", "argocd"];

/** At most this many shop host names (each is a Gateway and VirtualService host). */
export const MAX_BOUTIQUE_HOSTS = 64;

/**
 * Why `host` cannot be a public host name of the shop, or undefined. The shop's VirtualService binds
 * its hosts to the ingress gateway and to `mesh`, so an in-cluster name there would capture the
 * mesh's own traffic to that name (kubernetes.default.svc, frontend.boutique) and a metadata or
 * VPC name (metadata.google.internal) would be served by the shop.
 */
export function boutiqueHostProblem(host: string): string | undefined {
    if (!DNS_NAME.test(host)) return `has ${quoteInput(host)}, not a DNS name such as shop.example.com (never *: Istio forbids it beside mesh)`;
    const labels = host.split(".");
    const last = labels[labels.length - 1];
    if (PRIVATE_TOP_LABELS.includes(last) || host.endsWith(".cluster.local"))
        return `has ${quoteInput(host)}, a name that resolves inside a cluster, VPC or host (.${last}), not a public host name`;
    if (labels.length === 2 && CLUSTER_NAMESPACES.includes(last))
        return `has ${quoteInput(host)}, which pods resolve as service ${labels[0]} in namespace ${last}: the mesh's traffic to it would reach the shop`;
    return undefined;
}

const boutiqueHost = z.string({ error: "must list host names as text" }).superRefine((host, ctx) => {
    const problem = boutiqueHostProblem(host);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Decoders of the shop's keys. `boutiqueImages` is an object, so Pulumi.yaml cannot declare it (see UNDECLARED_KEYS). */
export const boutiqueKeys = {
    enableBoutique: flag,
    boutiqueLoadGenerator: flag,
    boutiqueHosts: jsonList(boutiqueHost, '["shop.example.com"]', MAX_BOUTIQUE_HOSTS).superRefine((hosts, ctx) => {
        const [repeated] = repeatedValues(hosts);
        if (repeated !== undefined) ctx.addIssue({ code: "custom", message: `must not repeat a host name (repeated: ${quoteInput(repeated)})` });
    }),
    boutiqueImages: rawText.optional().transform((value, ctx): BoutiqueConfig["images"] => {
        if (value === undefined || value.trim() === "") return {};
        const parsed = parseJson(value);
        if ("problem" in parsed && parsed.problem !== "is not valid JSON") {
            ctx.addIssue({ code: "custom", message: `boutiqueImages ${parsed.problem}` });
            return z.NEVER;
        }
        const raw = "value" in parsed ? parsed.value : undefined;
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            ctx.addIssue({ code: "custom", message: 'must be an object of service -> image, e.g. {"frontend": "registry.example.com/shop/frontend:v1.2.3"}' });
            return z.NEVER;
        }
        const images: Partial<Record<BoutiqueService, string>> = {};
        for (const [service, image] of Object.entries(raw)) {
            if (!(BOUTIQUE_SERVICES as readonly string[]).includes(service)) {
                ctx.addIssue({ code: "custom", message: `boutiqueImages names ${quoteInput(service)}, which is not one of ${BOUTIQUE_SERVICES.join(", ")}` });
                continue;
            }
            const problem = typeof image === "string" ? imageProblem(image) : "must be an image reference (text)";
            if (problem) ctx.addIssue({ code: "custom", message: `boutiqueImages.${service} ${problem}` });
            else images[service as BoutiqueService] = image as string;
        }
        return images;
    }),
};

type Decoded = z.output<z.ZodObject<typeof boutiqueKeys>>;

export function toBoutiqueConfig(c: Decoded): BoutiqueConfig {
    return { enabled: c.enableBoutique, loadGenerator: c.boutiqueLoadGenerator, hosts: c.boutiqueHosts, images: c.boutiqueImages };
}
