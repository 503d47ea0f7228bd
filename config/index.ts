import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { checkKubernetesUpgrade, readDeployedRelease } from "./deployed-release";
import { parseStackConfig, StackConfig } from "./stack-config";

export { StackConfig, StackConfigError, parseStackConfig, PROJECT } from "./stack-config";
export { liveWorkerSlots } from "./worker-slots";
export { DEPLOYED_RELEASE_OUTPUT, deployedReleaseOutput } from "./deployed-release";

/**
 * Reads and validates this stack's config once, before any resource is declared: every key, then
 * the Kubernetes release against the one the stack deployed (kubeadm upgrades one minor at a time
 * and never downgrades).
 */
export async function readStackConfig(): Promise<StackConfig> {
    const raw = pulumi.runtime.allConfig();
    const config = parseStackConfig(raw, Object.keys(raw).filter(isSecretKey));
    checkKubernetesUpgrade(config, await readDeployedRelease());
    return config;
}

/** Whether the stack holds `key` as a secret: @pulumi/pulumi's own check (internal; a missing one hides nothing extra). */
function isSecretKey(key: string): boolean {
    const { isConfigSecret } = runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean };
    return isConfigSecret?.(key) ?? false;
}
