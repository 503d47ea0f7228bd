import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { asProviderId, ScaleError } from "./node-group";
import { deleteNodes, resize } from "./worker-changes";
import { fileSystemProblem, parseCount, quoteInput, requireDirectoryPath, runCli, UsageError } from "../config/cli";
import { StackConfigError } from "../config/stack-config";
import { requireStackName } from "../config/stack-name";
import { parseGceProviderId } from "../config/provider-ids";
import { DryRunStack } from "./dry-run-stack";
import { deployedScale, poolState, scaleChanges, StackPort, WORKER_COUNT_KEY } from "./stack-port";

/** Far above any pool's maxWorkers: the pool's own bounds refuse the rest ("refused:", exit 1). */
const MAX_WORKERS_ARGUMENT = 1000;
/** A day: no simulated update needs longer (past ~24.8 days setTimeout would fire at once). */
const MAX_UP_SECONDS = 86_400;
/** A dry-run state file is a few KiB per update; anything this big is some other file. */
const MAX_STATE_FILE_BYTES = 16 * 1024 * 1024;

const USAGE = `Scales the stack's workers through the same code path as the autoscaler's provider.

usage: npm run scale -- (--workers <n> | --remove <node> [--remove <node> ...] | --keep-deployed)
                        (--stack <name> | --dry-run [--state .scaler/state.json] [--up-seconds 30]) [--no-up]

  --workers        exactly n workers: more adds the next free slots, fewer removes the highest ones
  --remove         remove these workers (instance name or gce:// provider id): their slots are retired
  --keep-deployed  set the stack config's scale to the deployed one (the autoscaler's), so a
                   \`pulumi up\` from this checkout does not undo it; runs no update
  --no-up          record the new size in the stack config, do not run the update
  --stack     the Pulumi stack, through the Automation API (required: there is no default stack);
              --dry-run instead: a local file, starting from the dev example
              (a bare stack name: letters, digits, -, _, .; at most 100; no "/", no leading . or -)

Counts are decimal digits only (--workers 0-${MAX_WORKERS_ARGUMENT}, --up-seconds 0-${MAX_UP_SECONDS}).
A node is an instance name or gce://<project>/<zone>/<instance>, as GCE allows them. Bad input
exits 2 with this usage; a request the pool refuses exits 1 with "refused: ...".`;

/**
 * A node as --remove takes it: an instance name or gce://<project>/<zone>/<instance>, each part
 * as GCE allows it. An instance name is checked as the instance part of a provider id, so the
 * rule stays components/pki's own (asProviderId would throw a bare Error on it).
 */
function requireNode(node: string): string {
    const providerId = node.startsWith("gce://") ? node : `gce://example-project/europe-west1-b/${node}`;
    if (parseGceProviderId(providerId) === undefined) {
        throw new UsageError(`--remove ${quoteInput(node)}: expected an instance name (boutique-dev-worker-1) or gce://<project>/<zone>/<instance>`);
    }
    return node;
}

const isTextMap = (value: unknown): boolean =>
    typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((text) => typeof text === "string");

/**
 * --dry-run's state file: absent (it starts from the dev stack) or one a dry run wrote. Anything
 * else (a folder, someone's file) is refused before it is read whole or written over.
 */
function requireStateFile(file: string): void {
    requireDirectoryPath("--state", path.dirname(path.resolve(file)));
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) return;
    const refuse = (why: string): never => {
        throw new UsageError(`--state ${quoteInput(file)}: ${why}`);
    };
    if (!stat.isFile()) refuse("is not a file");
    if (stat.size > MAX_STATE_FILE_BYTES) refuse("is not a dry-run state file (too large)");
    let state: unknown;
    try {
        state = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
        refuse("is not a dry-run state file (not JSON)");
    }
    const { config, deployed, updates } = typeof state === "object" && state !== null ? (state as Record<string, unknown>) : {};
    if (!isTextMap(config) || !isTextMap(deployed) || !Array.isArray(updates)) refuse("is not a dry-run state file (config, deployed, updates)");
    try {
        deployedScale(deployed as Record<string, string>);
    } catch {
        refuse("has an unreadable deployed scale");
    }
}

/** A real stack, through the Automation API: loaded only here, so a dry run or a refusal starts without it. */
async function selectStack(name: string, projectRoot: string): Promise<StackPort> {
    const [{ AutomationStack }, { default: pino }] = await Promise.all([import("./automation-stack"), import("pino")]);
    return AutomationStack.select(name, projectRoot, pino({ level: "info" }));
}

/** The Automation API's errors: the pulumi CLI's own output says what went wrong, a JavaScript stack would not. */
const PULUMI_COMMAND_ERRORS = new Set(["CommandError", "ConcurrentUpdateError", "StackAlreadyExistsError"]);

/** The short message for a failure that is not a bug: a refusal by the pool or the program's rules, a missing stack, the file system. */
function explain(error: unknown): string | undefined {
    if (error instanceof ScaleError || error instanceof StackConfigError) return `refused: ${error.message}`;
    // By name, as stack-port's isConcurrentUpdate: the Automation API is loaded only for a real stack.
    if (error instanceof Error && error.name === "StackNotFoundError") return "refused: no such stack (pulumi stack ls lists them)";
    if (error instanceof Error && PULUMI_COMMAND_ERRORS.has(error.name)) return `the pulumi CLI failed: ${error.message}`;
    return fileSystemProblem(error);
}

/** Validates, records the new size in the stack config, then (unless noUp) runs the update. Returns what changed. */
export async function scale(stack: StackPort, request: { readonly workers?: number; readonly remove: readonly string[] }, noUp: boolean): Promise<string> {
    const state = poolState(await stack.readConfig(), await stack.readDeployed());
    const next =
        request.workers !== undefined
            ? resize(state, request.workers)
            : deleteNodes(
                  state,
                  request.remove.map((node) => asProviderId(state.spec, node)),
              );
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
            stack: { type: "string" },
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
    // Every refusal of the command line comes before the stack is opened.
    const workers = values.workers === undefined ? undefined : parseCount("--workers", values.workers, MAX_WORKERS_ARGUMENT);
    const upSeconds = parseCount("--up-seconds", values["up-seconds"], MAX_UP_SECONDS);
    // No default: a stack someone forgot to name must not be the example's (or anyone's).
    if (values.stack === undefined && !values["dry-run"]) throw new UsageError("give --stack <name> (pulumi stack ls lists them), or --dry-run");
    const stackName = values.stack === undefined ? undefined : requireStackName(values.stack);
    const remove = values.remove.map(requireNode);
    if (values["dry-run"]) requireStateFile(values.state);
    const projectRoot = path.resolve(__dirname, "..");
    const stack =
        stackName === undefined || values["dry-run"] ? new DryRunStack(values.state, upSeconds, projectRoot) : await selectStack(stackName, projectRoot);
    console.log(values["keep-deployed"] ? await keepDeployedScale(stack) : await scale(stack, { workers, remove }, values["no-up"]));
}

if (require.main === module) runCli(main, USAGE, explain);
