import * as path from "path";
import { parseArgs } from "util";
import { runCli } from "../config/cli";
import { parseStackConfig, StackConfigError } from "../config/stack-config";
import { loadStackConfigMap, parseAssignments, projectDefaults, qualifyKey, readProjectFile, StackConfigMap } from "../config/stack-files";
import { requireStackName } from "../config/stack-name";
import { evaluateProgram } from "./evaluate";
import { footprintOf } from "./footprint";
import { monthlyCost, PRICES } from "./footprint-cost";
import { formatFootprint } from "./footprint-format";
import { MockCloud } from "./mock-cloud";
import { STACK_OPTIONS } from "./stack-options";

const USAGE = `Evaluates the Pulumi program offline (as npm run render does, writing nothing) and prints the
stack's footprint in Google Cloud: VMs by role and machine type, vCPUs and memory, boot disks, the
persistent disks the platform's charts claim, external and internal addresses, buckets, the quota
each adds up to, and an estimated monthly cost from a pinned, dated price table (an estimate).

usage: npm run footprint -- [--stack dev] [--set key=value ...] [--max] [--defaults]

  --stack     stack whose Pulumi.<stack>.yaml (in the project root) is read (default dev)
  --set       config override, short (workerCount=4) or full (gcp:zone=...) key; repeatable
  --max       the stack at its largest: workerCount = maxWorkers (the autoscaler's ceiling)
  --defaults  a new stack: Pulumi.yaml's defaults, taking from the stack file only what every
              stack must set (the provider keys gcp:*, and declared keys without a default)`;

export interface FootprintOptions {
    readonly overrides: Readonly<Record<string, string>>;
    readonly max: boolean;
    readonly defaults: boolean;
}

/** The config the footprint evaluates: the stack's (or only its required keys), the overrides, then --max. */
export function footprintConfig(projectRoot: string, stack: string, options: FootprintOptions): StackConfigMap {
    const loaded = loadStackConfigMap(projectRoot, stack, options.overrides);
    let values: Record<string, string> = { ...loaded.values };
    if (options.defaults) {
        const project = readProjectFile(projectRoot);
        const declaredWithoutDefault = Object.entries(project.config)
            .filter(([, declaration]) => declaration.default === undefined)
            .map(([name]) => qualifyKey(project.name, name));
        const mustSet = (key: string) => !key.startsWith(`${project.name}:`) || declaredWithoutDefault.includes(key);
        const overridden = Object.keys(options.overrides).map((key) => qualifyKey(project.name, key));
        values = {
            ...projectDefaults(project),
            ...Object.fromEntries(Object.entries(loaded.values).filter(([key]) => mustSet(key) || overridden.includes(key))),
        };
    }
    if (options.max) {
        values = { ...values, [qualifyKey(readProjectFile(projectRoot).name, "workerCount")]: String(parseStackConfig(values).workers.max) };
    }
    return { values, secretKeys: loaded.secretKeys.filter((key) => key in values) };
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            ...STACK_OPTIONS,
            max: { type: "boolean", default: false },
            defaults: { type: "boolean", default: false },
        },
        strict: true,
    });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const stack = requireStackName(values.stack);
    const options: FootprintOptions = { overrides: parseAssignments(values.set), max: values.max, defaults: values.defaults };
    const projectRoot = path.resolve(__dirname, "..");
    const project = readProjectFile(projectRoot).name;
    const config = footprintConfig(projectRoot, stack, options);
    const evaluation = await evaluateProgram({ projectRoot, project, stack, cloud: new MockCloud(), config });
    const footprint = footprintOf(evaluation.resources);
    const flags = [options.defaults ? "Pulumi.yaml defaults" : "", options.max ? "workerCount = maxWorkers" : "", ...values.set].filter((flag) => flag !== "");
    const title = `${project}/${stack}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}`;
    console.log(formatFootprint(title, footprint, monthlyCost(footprint), PRICES));
    return 0;
}

// Only as a command: the test imports footprintConfig without running it.
if (require.main === module) {
    runCli(main, USAGE, (error) => (error instanceof StackConfigError ? error.message : undefined));
}
