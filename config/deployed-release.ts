import * as pulumi from "@pulumi/pulumi";
import { KubernetesRelease, kubernetesVersionText } from "./kubernetes-release";
import { kubernetesVersion } from "./fields";
import { kubernetesUpgradeProblem } from "./kubernetes-upgrade";
import { fullKey, StackConfig, StackConfigError } from "./stack-config";

/** The stack output that records the release the last update deployed. */
export const DEPLOYED_RELEASE_OUTPUT = "kubernetesVersion";

/** What the stack output holds for a release: "1.32.4". */
export function deployedReleaseOutput(release: KubernetesRelease): string {
    return kubernetesVersionText(release);
}

/**
 * The release the stack's last update deployed: its own `kubernetesVersion` output, read through a
 * stack reference to itself (the state's last checkpoint; an update in progress has not written
 * it yet). Undefined before the first update, or for a stack deployed before the output existed.
 */
export async function readDeployedRelease(): Promise<KubernetesRelease | undefined> {
    const self = new pulumi.StackReference("deployed-stack", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
    const details = await self.getOutputDetails(DEPLOYED_RELEASE_OUTPUT);
    const value: unknown = details.value;
    if (typeof value !== "string") return undefined;
    const parsed = kubernetesVersion.safeParse(value);
    if (!parsed.success) {
        throw new Error(
            `the stack's ${DEPLOYED_RELEASE_OUTPUT} output is ${JSON.stringify(value)}, which is not a release this program deployed; fix the state before changing the cluster`,
        );
    }
    return parsed.data;
}

/**
 * Refuses a `kubernetesVersion` kubeadm cannot reach from the deployed release (a downgrade, or a
 * skipped minor), as a config error naming the key, the value and the allowed next steps.
 */
export function checkKubernetesUpgrade(config: StackConfig, deployed: KubernetesRelease | undefined): void {
    const problem = kubernetesUpgradeProblem(deployed, config.kubernetesVersion);
    if (problem === undefined) return;
    const value = kubernetesVersionText(config.kubernetesVersion);
    const reason = problem.replace(/^kubernetesVersion \S+ /, "");
    throw new StackConfigError([`${fullKey("kubernetesVersion")} = "${value}": ${reason}`]);
}
