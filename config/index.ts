import * as pulumi from "@pulumi/pulumi";
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
    const config = parseStackConfig(pulumi.runtime.allConfig());
    checkKubernetesUpgrade(config, await readDeployedRelease());
    return config;
}
