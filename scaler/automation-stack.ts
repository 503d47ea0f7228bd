import * as path from "path";
import { ConfigMap, Deployment, LocalWorkspace, UpdateSummary, UpOptions, UpResult } from "@pulumi/pulumi/automation";
import type { Logger } from "pino";
import { PROJECT } from "../config/stack-config";
import { projectDefaults, readProjectFile } from "../config/stack-files";
import { workerSlotsInState } from "./state-slots";
import { ConfigValues, StackPort, UpdatePlan } from "./stack-port";

/** The parts of the Automation API's Stack the scaler uses (tests pass a fake). */
export interface AutomationStackApi {
    readonly name: string;
    getAllConfig(): Promise<ConfigMap>;
    setAllConfig(config: ConfigMap): Promise<void>;
    history(pageSize?: number, page?: number, showSecrets?: boolean): Promise<UpdateSummary[]>;
    up(options?: UpOptions): Promise<UpResult>;
    cancel(): Promise<void>;
    exportStack(): Promise<Deployment>;
}

/**
 * What a scale update touches, and nothing else: the workers of the plan's slots (each worker's
 * component and children) and HAProxy's ingress command (`haproxy-config`, which applies
 * ingress.cfg, the workers' backends); without a plan (a person's `npm run scale`), the whole pool.
 * No --target-dependents: nothing outside these depends on them (the releases wait on the
 * workers-ready gate, kubeadm init on HAProxy's API config; the pool's component is the workers'
 * parent and stays as it is), so the platform, the Kubernetes provider, the scaler's own objects
 * and the other workers are never part of a scale: a scaler whose image lags the program cannot
 * roll them back. `npm run render -- --diff workerCount=<n>` prints this set and checks that
 * nothing outside it depends on it (render/scale-targets.ts).
 */
export function scaleTargets(stack: string, slots?: readonly number[]): string[] {
    const prefix = `urn:pulumi:${stack}::${PROJECT}::`;
    const pool = "boutique:cluster:WorkerPool";
    const workers =
        slots === undefined
            ? [`${prefix}${pool}::workers`, `${prefix}${pool}$**`]
            : [...new Set(slots)]
                  .sort((a, b) => a - b)
                  .flatMap((slot) => [
                      `${prefix}${pool}$boutique:cluster:WorkerNode::worker-${slot}`,
                      `${prefix}${pool}$boutique:cluster:WorkerNode$**::worker-${slot}-*`,
                  ]);
    return [...workers, `${prefix}boutique:cluster:HaproxyEntryPoint$command:remote:Command::haproxy-config`];
}

const HISTORY_PAGE_SIZE = 20;

const toValues = (config: ConfigMap): Record<string, string> => Object.fromEntries(Object.entries(config).map(([key, { value }]) => [key, value]));

/**
 * A real stack through the Automation API (needs the Pulumi CLI, the state backend and cloud
 * credentials, as `pulumi up` does). The desired config is Pulumi.yaml's defaults overlaid by
 * the stack's config; the deployed one is the config of the newest successful update.
 */
export class AutomationStack implements StackPort {
    constructor(
        private readonly stack: AutomationStackApi,
        private readonly defaults: ConfigValues,
        private readonly log: Logger,
        /** The policy pack every update runs, as CI's do (policy/); none in tests. */
        private readonly policyPacks: readonly string[] = [],
    ) {}

    static async select(stackName: string, projectRoot: string, log: Logger): Promise<AutomationStack> {
        const stack = await LocalWorkspace.selectStack({ stackName, workDir: projectRoot });
        return new AutomationStack(stack, projectDefaults(readProjectFile(projectRoot)), log, [path.join(projectRoot, "policy")]);
    }

    async readConfig(): Promise<ConfigValues> {
        return { ...this.defaults, ...toValues(await this.stack.getAllConfig()) };
    }

    async writeConfig(changes: ConfigValues): Promise<void> {
        await this.stack.setAllConfig(Object.fromEntries(Object.entries(changes).map(([key, value]) => [key, { value }])));
    }

    /**
     * `pulumi cancel`: on the DIY backend it deletes every lock file of the stack, whoever wrote
     * it. Only GuardedStack calls it, for a lock it proved to be a killed update of its own.
     */
    cancel(): Promise<void> {
        return this.stack.cancel();
    }

    /** The workers whose VMs the state holds (`pulumi stack export`), a failed or killed update's included. */
    async existingWorkerSlots(): Promise<readonly number[]> {
        return workerSlotsInState((await this.stack.exportStack()).deployment);
    }

    async readDeployed(): Promise<ConfigValues> {
        // Newest first, a page at a time: retried failures can push the last success far back.
        for (let page = 1; ; page++) {
            const history = await this.stack.history(HISTORY_PAGE_SIZE, page, true);
            const last = history.find((summary) => summary.kind === "update" && summary.result === "succeeded");
            if (last) return { ...this.defaults, ...toValues(last.config) };
            // Never deployed: no worker exists yet.
            if (history.length < HISTORY_PAGE_SIZE) return {};
        }
    }

    async up(plan?: UpdatePlan): Promise<void> {
        const result = await this.stack.up({
            target: scaleTargets(this.stack.name, plan?.slots),
            ...(this.policyPacks.length > 0 ? { policyPacks: [...this.policyPacks] } : {}),
            onOutput: (line) => this.log.debug({ pulumi: line.trimEnd() }),
        });
        this.log.info({ changes: result.summary.resourceChanges }, "pulumi up finished");
    }
}
