import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { Evaluation } from "../../render/evaluation";
import { MockCloud, unwrapSecrets } from "../../render/mock-cloud";

/**
 * Pulumi's engine as it treats the program's remote commands (command:remote:Command), to run
 * the program's remote steps, `up` after `up`, against sandboxes standing in for the VMs. It
 * stands in for the Pulumi CLI and the command provider, which cannot run here. What it models,
 * from the engine's and pulumi-command's documented behaviour:
 * - a resource not in the state is created; a create that fails leaves nothing in the state, so
 *   the next `up` creates it again (with `recordFailedCreates`, it is kept with an
 *   initialization error instead, and the next `up` runs its `update`, as the engine does for a
 *   provider that returns partial state);
 * - a change of `triggers` replaces it (the old one's `delete`, then `create`);
 * - another input change runs `update`, or replaces it when it has none;
 * - steps run in dependency order (through any resource in between); the first failure stops the
 *   `up`, like the engine without --continue-on-error once running steps finish.
 */

export interface RemoteCommand {
    readonly name: string;
    readonly host: string;
    readonly create?: string;
    readonly update?: string;
    readonly delete?: string;
    readonly stdin?: string;
    readonly triggers: readonly unknown[];
    /** Commands it waits for, directly or through other resources. */
    readonly after: readonly string[];
}

/** A MockCloud that also keeps every remote command's inputs as the provider would receive them (secrets unwrapped). */
export class CommandCapturingCloud extends MockCloud {
    readonly commandInputs = new Map<string, Record<string, unknown>>();

    override newResource(args: MockResourceArgs): MockResourceResult {
        if (args.type === "command:remote:Command") this.commandInputs.set(args.name, unwrapSecrets(args.inputs) as Record<string, unknown>);
        return super.newResource(args);
    }
}

/** The program's remote commands, in an order that respects their dependencies. */
export function remoteCommands(evaluation: Evaluation, cloud: CommandCapturingCloud): RemoteCommand[] {
    const byName = new Map(evaluation.resources.map((resource) => [resource.name, resource]));
    const isCommand = (name: string) => byName.get(name)?.type === "command:remote:Command";
    const reachable = new Map<string, Set<string>>();
    const commandsBefore = (name: string): Set<string> => {
        const known = reachable.get(name);
        if (known) return known;
        const found = new Set<string>();
        reachable.set(name, found);
        for (const dependency of byName.get(name)?.dependsOn ?? []) {
            if (isCommand(dependency)) found.add(dependency);
            for (const before of commandsBefore(dependency)) found.add(before);
        }
        return found;
    };
    const commands = evaluation.resources
        .filter((resource) => isCommand(resource.name))
        .map((resource): RemoteCommand => {
            const inputs = cloud.commandInputs.get(resource.name);
            if (!inputs) throw new Error(`no captured inputs for ${resource.name}`);
            const text = (key: string) => (typeof inputs[key] === "string" ? inputs[key] : undefined);
            const connection = inputs.connection as { host?: unknown } | undefined;
            return {
                name: resource.name,
                host: String(connection?.host),
                create: text("create"),
                update: text("update"),
                delete: text("delete"),
                stdin: text("stdin"),
                triggers: Array.isArray(inputs.triggers) ? inputs.triggers : [],
                after: [...commandsBefore(resource.name)],
            };
        });
    const ordered: RemoteCommand[] = [];
    const placed = new Set<string>();
    while (ordered.length < commands.length) {
        const ready = commands.filter((command) => !placed.has(command.name) && command.after.every((name) => placed.has(name)));
        if (ready.length === 0) throw new Error("dependency cycle among remote commands");
        for (const command of ready) {
            ordered.push(command);
            placed.add(command.name);
        }
    }
    return ordered;
}

/** What a host does with a command string: its exit status and output. */
export type CommandRunner = (host: string, command: string, stdin: string) => { readonly status: number; readonly stdout: string; readonly stderr: string };

export type StepOp = "create" | "update" | "replace" | "same";

export interface StepRecord {
    readonly name: string;
    readonly op: StepOp;
    readonly ok: boolean;
    readonly stderr: string;
}

interface StateEntry {
    readonly inputs: string;
    readonly triggers: string;
    readonly initError: boolean;
}

export class CommandEngine {
    private readonly state = new Map<string, StateEntry>();

    constructor(
        private readonly run: CommandRunner,
        private readonly options: { readonly recordFailedCreates?: boolean } = {},
    ) {}

    /** Whether the state holds `name` (a failed create held only with recordFailedCreates). */
    has(name: string): boolean {
        return this.state.has(name);
    }

    /** One `pulumi up` over the program's commands: the steps taken, up to and including the first failure. */
    up(commands: readonly RemoteCommand[]): StepRecord[] {
        const steps: StepRecord[] = [];
        for (const command of commands) {
            const inputs = JSON.stringify([command.host, command.create, command.update, command.delete, command.stdin]);
            const triggers = JSON.stringify(command.triggers);
            const previous = this.state.get(command.name);
            const op: StepOp = !previous
                ? "create"
                : previous.triggers !== triggers
                  ? "replace"
                  : previous.inputs !== inputs || previous.initError
                    ? command.update !== undefined
                        ? "update"
                        : "replace"
                    : "same";
            if (op === "same") continue;
            let stderr = "";
            if (op === "replace" && previous) {
                // The old one's delete is what the state recorded: the engine keeps the old inputs for it.
                const oldDelete = (JSON.parse(previous.inputs) as (string | undefined)[])[3];
                if (oldDelete) {
                    const removed = this.run(command.host, oldDelete, "");
                    stderr += removed.stderr;
                    if (removed.status !== 0) return [...steps, { name: command.name, op, ok: false, stderr }];
                }
                this.state.delete(command.name);
            }
            const script = op === "update" ? command.update : command.create;
            const result = script === undefined ? { status: 0, stdout: "", stderr: "" } : this.run(command.host, script, command.stdin ?? "");
            stderr += result.stderr;
            const ok = result.status === 0;
            steps.push({ name: command.name, op, ok, stderr });
            if (ok) this.state.set(command.name, { inputs, triggers, initError: false });
            else {
                if (op !== "update" && this.options.recordFailedCreates) this.state.set(command.name, { inputs, triggers, initError: true });
                return steps;
            }
        }
        return steps;
    }
}
