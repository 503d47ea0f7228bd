import { BOUTIQUE_SERVICES, BoutiqueService } from "./boutique-config";

/**
 * The shop's images as the Git path's release file lists them: kustomize's `images` entries, one
 * per service, each naming the chart's image and the reference it runs instead. The release job
 * rewrites one entry per release; `npm run render` writes the first file.
 */

/** The chart's image registry path (onlineboutique 0.10.6 `images.repository`, checked against the chart by test/delivery). */
export const CHART_IMAGE_REPOSITORY = "us-central1-docker.pkg.dev/google-samples/microservices-demo";
/** The chart's image tag: its appVersion (`images.tag` is empty, so each image is tagged with it). */
export const CHART_IMAGE_TAG = "v0.10.6";

/** One kustomize `images` entry: containers whose image is `name` run `newName` at `newTag` or `digest`. */
export interface KustomizeImage {
    readonly name: string;
    readonly newName: string;
    readonly newTag?: string;
    readonly digest?: string;
}

/** The image the chart gives a service's Deployment. */
export function chartImageName(service: BoutiqueService): string {
    return `${CHART_IMAGE_REPOSITORY}/${service}`;
}

/**
 * The entry that makes `service` run `reference`, a pinned reference (config/fields.ts
 * imageProblem has accepted it): repository, then a tag or a digest.
 */
export function kustomizeImage(service: BoutiqueService, reference: string): KustomizeImage {
    const at = reference.indexOf("@");
    if (at >= 0) return { name: chartImageName(service), newName: reference.slice(0, at), digest: reference.slice(at + 1) };
    const colon = reference.lastIndexOf(":");
    if (colon <= reference.lastIndexOf("/")) throw new Error(`${reference} has no tag or digest`);
    return { name: chartImageName(service), newName: reference.slice(0, colon), newTag: reference.slice(colon + 1) };
}

/** Every service's entry: the chart's own image unless `images` names another. */
export function kustomizeImages(images: Readonly<Partial<Record<BoutiqueService, string>>>): KustomizeImage[] {
    return BOUTIQUE_SERVICES.map((service) => kustomizeImage(service, images[service] ?? `${chartImageName(service)}:${CHART_IMAGE_TAG}`));
}
