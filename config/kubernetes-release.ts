/**
 * The one path from the stack's `kubernetesVersion` to everything that names a Kubernetes
 * release: kubeadm's config, the apt repository, the package pins, and the checks the node
 * scripts make. Every node runs exactly this release (the version-skew policy forbids a kubelet
 * newer than the API server), so nothing may resolve "newest patch" on its own.
 */

/** An exact Kubernetes release, 1.MINOR.PATCH. */
export interface KubernetesRelease {
    readonly minor: number;
    readonly patch: number;
}

/** kubeadm's v1beta4 config API, which this program renders, exists from 1.31 on. */
export const OLDEST_KUBERNETES_MINOR = 31;

/** Throws unless `release` is a whole 1.MINOR.PATCH the program can render (config checks the text first; this guards direct callers). */
export function validateKubernetesRelease(release: KubernetesRelease): void {
    const { minor, patch } = release;
    if (!Number.isSafeInteger(minor) || minor < OLDEST_KUBERNETES_MINOR) {
        throw new Error(`kubernetesVersion.minor must be a whole number, ${OLDEST_KUBERNETES_MINOR} or more, got ${minor}`);
    }
    if (!Number.isSafeInteger(patch) || patch < 0) {
        throw new Error(`kubernetesVersion.patch must be a whole number, 0 or more, got ${patch}`);
    }
}

/** The packages kubeadm clusters install from pkgs.k8s.io; each is pinned and held. */
export const KUBERNETES_PACKAGES = ["kubelet", "kubeadm", "kubectl"] as const;
export type KubernetesPackage = (typeof KUBERNETES_PACKAGES)[number];

/** "1.32.4". */
export function kubernetesVersionText(release: KubernetesRelease): string {
    return `1.${release.minor}.${release.patch}`;
}

/** "v1.32.4": what kubeadm's config, `kubeadm upgrade apply` and `kubeadm version -o short` use. */
export function kubernetesVersionTag(release: KubernetesRelease): string {
    return `v${kubernetesVersionText(release)}`;
}

/** `https://pkgs.k8s.io/core:/stable:/v1.<minor>/deb/`: one apt repository per minor release. */
export function kubernetesAptRepository(release: KubernetesRelease): string {
    return `https://pkgs.k8s.io/core:/stable:/v1.${release.minor}/deb/`;
}

/** The apt version pattern `1.32.4-*` (any package revision of exactly that release), as the upstream upgrade guide pins it. */
export function kubernetesAptVersion(release: KubernetesRelease): string {
    return `${kubernetesVersionText(release)}-*`;
}

/** A bash/ERE pattern matching exactly the Debian versions `kubernetesAptVersion` selects (`^1\.32\.4-`), for checking what dpkg installed. */
export function kubernetesAptVersionPattern(release: KubernetesRelease): string {
    return `^${kubernetesVersionText(release).replace(/\./g, "\\.")}-`;
}

/** `apt-get install` arguments: `kubelet=1.32.4-*`, ... for the given packages. */
export function kubernetesPackageSpecs(release: KubernetesRelease, packages: readonly KubernetesPackage[] = KUBERNETES_PACKAGES): string[] {
    return packages.map((name) => `${name}=${kubernetesAptVersion(release)}`);
}
