import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackConfig } from "./stack-config";

export { StackConfig, StackConfigError, parseStackConfig, PROJECT } from "./stack-config";
export { liveWorkerSlots } from "./worker-slots";

/** Reads and validates this stack's config once, before any resource is declared. */
export function readStackConfig(): StackConfig {
    return parseStackConfig(pulumi.runtime.allConfig());
}
