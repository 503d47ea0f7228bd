import { strict as assert } from "assert";
import { KubernetesObject } from "../components/shared/kubernetes-object";
import { imagePinProblem } from "../config/fields";
import { PlacedObject, RENDERED_STACK_NAMES, renderedSuite } from "./support/platform-render";

/**
 * Every container the cluster would run names a pinned image: a tag other than `latest`, or a
 * digest. Checked on what the real charts render and the program applies, so a chart default
 * or a program manifest that floats is caught, not only a config value (the same rule,
 * config/fields.ts imagePinProblem).
 */

/** Every `image` of every container, init container and ephemeral container anywhere in `object`. */
export function containerImages(object: unknown): string[] {
    const images: string[] = [];
    const pending: unknown[] = [object];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
        if (Array.isArray(node)) pending.push(...(node as unknown[]));
        else if (typeof node === "object" && node !== null) {
            for (const [key, value] of Object.entries(node)) {
                if (["containers", "initContainers", "ephemeralContainers"].includes(key) && Array.isArray(value)) {
                    for (const container of value)
                        if (typeof (container as { image?: unknown })?.image === "string") images.push((container as { image: string }).image);
                }
                pending.push(value);
            }
        }
    }
    return images;
}

/**
 * Istio's gateway chart renders `image: auto` in a pod labelled for injection: the injector
 * replaces it with the proxy image of istiod's own (pinned) release.
 */
function injectedByIstio(object: KubernetesObject): boolean {
    const labels = (object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template?.metadata?.labels;
    return labels?.["sidecar.istio.io/inject"] === "true";
}

function floating(objects: readonly PlacedObject[]): string[] {
    return objects.flatMap(({ source, object }) =>
        containerImages(object).flatMap((image) => {
            const problem = image === "auto" && injectedByIstio(object) ? undefined : imagePinProblem(image);
            return problem ? [`[${source}] ${object.kind} ${object.metadata?.name ?? "?"}: ${image} ${problem}`] : [];
        }),
    );
}

describe("every container the cluster would run names a pinned image", function () {
    const rendered = renderedSuite(this);
    for (const stack of RENDERED_STACK_NAMES) {
        it(`${stack}: every chart's and the program's containers`, async () => {
            const platform = await rendered.platform(stack);
            const images = new Set(platform.objects.flatMap(({ object }) => containerImages(object)));
            assert.ok(images.size > 20, `${images.size} images found: the walk is broken`);
            assert.deepEqual(floating(platform.objects), []);
            console.log(`      ${stack}: ${images.size} distinct images, all pinned`);
        });
    }

    it("finds a floating image wherever a pod spec puts it", () => {
        const pod = (image: string, where: "containers" | "initContainers"): KubernetesObject => ({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "x" },
            spec: { template: { spec: { [where]: [{ name: "c", image }] } } },
        });
        const injected: KubernetesObject = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "gw" },
            spec: { template: { metadata: { labels: { "sidecar.istio.io/inject": "true" } }, spec: { containers: [{ name: "istio-proxy", image: "auto" }] } } },
        };
        const objects = [
            injected,
            pod("auto", "containers"),
            pod("nginx", "containers"),
            pod("registry.example.com:5000/team/app:latest", "initContainers"),
            pod("registry.example.com:5000/team/app", "containers"),
            pod("nginx:1.27.3", "containers"),
            pod(`nginx@sha256:${"a".repeat(64)}`, "containers"),
        ];
        assert.deepEqual(floating(objects.map((object) => ({ source: "fixture", object }))), [
            "[fixture] Deployment x: auto has no tag or digest (it means latest)",
            "[fixture] Deployment x: nginx has no tag or digest (it means latest)",
            "[fixture] Deployment x: registry.example.com:5000/team/app:latest is tagged latest",
            "[fixture] Deployment x: registry.example.com:5000/team/app has no tag or digest (it means latest)",
        ]);
    });
});
