import * as path from "path";
import { parseArgs } from "util";
import { deleteNodes, asProviderId, resize, ScaleError } from "./node-group";
import pino from "pino";
import { runCli, UsageError } from "../config/cli";
import { AutomationStack } from "./automation-stack";
import { DryRunStack } from "./dry-run-stack";
import { poolState, scaleChanges, StackPort } from "./stack-port";

const USAGE = `Scales the stack's workers through the same code path as the autoscaler's provider.

usage: npm run scale -- (--workers <n> | --remove <node> [--remove <node> ...])
                        (--stack <name> | --dry-run [--state .scaler/state.json] [--up-seconds 30]) [--no-up]

  --workers   exactly n workers: more adds the next free slots, fewer removes the highest ones
  --remove    remove these workers (instance name or gce:// provider id): their slots are retired
  --no-up     record the new size in the stack config, do not run the update
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
            help: { type: "boolean", short: "h", default: false },
        },
        strict: true,
    });
    if (values.help) return void console.log(USAGE);
    if ((values.workers === undefined) === (values.remove.length === 0)) throw new UsageError("give either --workers <n> or --remove <node>...");
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !Number.isInteger(workers)) throw new UsageError(`--workers ${values.workers}: expected a whole number`);
    const projectRoot = path.resolve(__dirname, "..");
    const stack = values["dry-run"]
        ? new DryRunStack(values.state, Number(values["up-seconds"]), projectRoot)
        : await AutomationStack.select(values.stack, projectRoot, pino({ level: "info" }));
    console.log(await scale(stack, { workers, remove: values.remove }, values["no-up"]));
}

if (require.main === module) runCli(main, USAGE, (error) => (error instanceof ScaleError ? `refused: ${error.message}` : undefined));
