import { BOUTIQUE_SERVICES } from "../../config/boutique-config";
import { kustomizeImages } from "../../config/boutique-images";

/**
 * A release file as the Git path holds it (`<gitopsPath>/kustomization.yaml`): comments, the shop
 * as its one resource, and one kustomize images entry per service at the chart's image, each
 * followed by a comment line so a test sees that comments between entries stay where they are.
 */
export function releaseFileText(): string {
    const entries = kustomizeImages({}).map(
        (image, index) =>
            `  - name: ${image.name}\n    newName: ${image.newName}\n    newTag: ${image.newTag ?? ""}\n  # ${BOUTIQUE_SERVICES[index]} ends here\n`,
    );
    return [
        "# The shop's release file: one images entry per service (npm run release:image rewrites one).\n",
        "apiVersion: kustomize.config.k8s.io/v1beta1\n",
        "kind: Kustomization\n",
        "resources:\n",
        "  - shop # the chart and its values\n",
        "images:\n",
        ...entries,
    ].join("");
}

/** A pinned digest reference of the test registry. */
export const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

/**
 * Image references the release refuses (config/fields.ts imageProblem): shell, YAML and terminal
 * tricks, floating and unpinned references, and one too long to be a reference.
 */
export const HOSTILE_IMAGES: readonly string[] = [
    "registry.example.com/shop/frontend:v1$(id)",
    "registry.example.com/shop/frontend:v1;id",
    "registry.example.com/shop/frontend:v1`id`",
    "registry.example.com/shop/frontend:v1\nnewTag: evil",
    "registry.example.com/shop/frontend:v1\r",
    "registry.example.com/shop/frontend: v1",
    "registry.example.com/shop/frontend:v1 # comment",
    " registry.example.com/shop/frontend:v1",
    "registry.example.com/shop/frontend:latest",
    "registry.example.com/shop/frontend",
    "registry.example.com/shop/frontend@sha256:abc",
    `registry.example.com/${"a".repeat(600)}/frontend:v1`,
    "x: y",
    "{a}",
    "[a, b]",
    "'registry.example.com/shop/frontend:v1'",
    "&anchor registry.example.com/shop/frontend:v1",
    "registry.example.com/shop/frontend:v1\u202e",
    "",
];
