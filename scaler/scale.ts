import * as path from "path";
import { parseArgs } from "util";
import { asProviderId, ScaleError } from "./node-group";
import { deleteNodes, resize } from "./worker-changes";
import pino from "pino";
import { runCli, UsageError } from "../config/cli";
import { AutomationStack } from "./automation-stack";
import { DryRunStack } from "./dry-run-stack";
import { deployedScale, poolState, scaleChanges, StackPort, WORKER_COUNT_KEY } from "./stack-port";

const USAGE = `Scales the stack's workers through the same code path as the autoscaler's provider.

usage: npm run scale -- (--workers <n> | --remove <node> [--remove <node> ...] | --keep-deployed)
                        (--stack <name> | --dry-run [--state .scaler/state.json] [--up-seconds 30]) [--no-up]

  --workers        exactly n workers: more adds the next free slots, fewer removes the highest ones
  --remove         remove these workers (instance name or gce:// provider id): their slots are retired
  --keep-deployed  set the stack config's scale to the deployed one (the autoscaler's), so a
                   \`pulumi up\` from this checkout does not undo it; runs no update
  --no-up          record the new size in the stack config, do not run the update
  --stack     the Pulumi stack (default dev), through the Automation API; --dry-run: a local file`;

/** Validates, records the new size in the stack config, then (unless noUp) runs the update. Returns what changed. */
export async function scale(stack: StackPort, request: { readonly workers?: number; readonly remove: readonly string[] }, noUp: boolean): Promise<string> {
    const state = poolState(await stack.readConfig(), await stack.readDeployed());
    const next = request.workers !== undefined ? resize(state, request.workers) : deleteNodes(state, request.remove.map((node) => asProviderId(state.spec, node)));
    await stack.writeConfig(scaleChanges(next));
    const summary = `workers ${state.desired.count} -> ${next.count}, retired slots [${next.retiredSlots.join(", ")}]`;
    if (!noUp) await stack.up();
    return noUp ? `${summary} (recorded; no update run)` : `${summary}; update done`;
}

/**
 * Before CI's `pulumi up` from a checkout: the committed workerCount/retiredWorkerSlots are
 * the scale of the day they were committed, the deployed ones are the autoscaler's since.
 * Writes the deployed scale into the stack config (the checkout's, not committed). The rest
 * of the committed config must accept it (a lowered maxWorkers is refused, for a person to decide).
 */
export async function keepDeployedScale(stack: StackPort): Promise<string> {
    const deployed = await stack.readDeployed();
    if (deployed[WORKER_COUNT_KEY] === undefined) return "nothing deployed yet: the committed scale stands";
    const config = await stack.readConfig();
    const committed = poolState(config, deployed);
    const scale = deployedScale(deployed);
    poolState({ ...config, ...scaleChanges(scale) }, deployed); // refused before anything is written
    await stack.writeConfig(scaleChanges(scale));
    return `kept the deployed scale: workers ${scale.count}, retired slots [${scale.retiredSlots.join(", ")}] (committed: ${committed.desired.count}, [${committed.desired.retiredSlots.join(", ")}])`;
}

async function main(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            workers: { type: "string" },
            remove: { type: "string", multiple: true, default: [] },
            stack: { type: "string", default: "dev" },
            "dry-run": { type: "boolean", default: false },
            state: { type: "string", default: path.join(".scaler", "state.json") },
            "up-seconds": { type: "string", default: "30" },
            "no-up": { type: "boolean", default: false },
            "keep-deployed": { type: "boolean", default: false },
            help: { type: "boolean", short: "h", default: false },
        },
        strict: true,
    });
    if (values.help) return void console.log(USAGE);
    const actions = [values.workers !== undefined, values.remove.length > 0, values["keep-deployed"]].filter(Boolean).length;
    if (actions !== 1) throw new UsageError("give one of --workers <n>, --remove <node>... or --keep-deployed");
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !Number.isInteger(workers)) throw new UsageError(`--workers ${values.workers}: expected a whole number`);
    const projectRoot = path.resolve(__dirname, "..");
    const stack = values["dry-run"]
        ? new DryRunStack(values.state, Number(values["up-seconds"]), projectRoot)
        : await AutomationStack.select(values.stack, projectRoot, pino({ level: "info" }));
    console.log(values["keep-deployed"] ? await keepDeployedScale(stack) : await scale(stack, { workers, remove: values.remove }, values["no-up"]));
}

if (require.main === module) runCli(main, USAGE, (error) => (error instanceof ScaleError ? `refused: ${error.message}` : undefined));
