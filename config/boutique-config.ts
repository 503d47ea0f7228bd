import { z } from "zod";
import { flag, IMAGE_REFERENCE, jsonList, text } from "./fields";

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

/** Decoders of the shop's keys. `boutiqueImages` is an object, so Pulumi.yaml cannot declare it (see UNDECLARED_KEYS). */
export const boutiqueKeys = {
    enableBoutique: flag,
    boutiqueLoadGenerator: flag,
    boutiqueHosts: jsonList(z.string().regex(DNS_NAME, "must list DNS names such as shop.example.com (never *: Istio forbids it beside mesh)"), '["shop.example.com"]'),
    boutiqueImages: text.optional().transform((value, ctx): BoutiqueConfig["images"] => {
        if (value === undefined || value.trim() === "") return {};
        let raw: unknown;
        try {
            raw = JSON.parse(value);
        } catch {
            raw = undefined;
        }
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            ctx.addIssue({ code: "custom", message: 'must be an object of service -> image, e.g. {"frontend": "registry.example.com/shop/frontend:v1.2.3"}' });
            return z.NEVER;
        }
        const images: Partial<Record<BoutiqueService, string>> = {};
        for (const [service, image] of Object.entries(raw)) {
            if (!(BOUTIQUE_SERVICES as readonly string[]).includes(service)) ctx.addIssue({ code: "custom", message: `names ${service}, which is not one of ${BOUTIQUE_SERVICES.join(", ")}` });
            else if (typeof image !== "string" || !IMAGE_REFERENCE.test(image)) ctx.addIssue({ code: "custom", message: `gives ${service} ${JSON.stringify(image)}, not an image reference with an explicit tag or digest` });
            else images[service as BoutiqueService] = image;
        }
        return images;
    }),
};

type Decoded = z.output<z.ZodObject<typeof boutiqueKeys>>;

export function toBoutiqueConfig(c: Decoded): BoutiqueConfig {
    return { enabled: c.enableBoutique, loadGenerator: c.boutiqueLoadGenerator, hosts: c.boutiqueHosts, images: c.boutiqueImages };
}
