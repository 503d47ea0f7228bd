import * as path from "path";
import { parseArgs } from "util";
import { ECHO_LIMIT, fileSystemProblem, quoteInput, runCli } from "../config/cli";
import { parseStackConfig, StackConfigError } from "../config/stack-config";
import { slotChanges } from "../config/worker-slots";
import { releasedChartObjects, renderCharts } from "./chart-files";
import { loadStackConfigMap, parseAssignments, readProjectFile } from "../config/stack-files";
import { requireStackName } from "../config/stack-name";
import { scaleTargets } from "../scaler/automation-stack";
import { diffEvaluations, formatDiff } from "./diff";
import { evaluateProgram } from "./evaluate";
import { MockCloud } from "./mock-cloud";
import { formatScaleTargets, scaleTargetReport } from "./scale-targets";
import { formatSummary } from "./summary";
import { RENDER_MARKER, renderDirectory, writeEvaluation } from "./write";
import { STACK_OPTIONS } from "./stack-options";

const USAGE = `Evaluates the Pulumi program offline (mock runtime: no cloud, credentials or Pulumi CLI) and
writes what it would create to <out>/<stack>/: resources.json, haproxy.cfg, each node's kubeadm
configs and scripts under nodes/, and gitops/: the Git path Argo CD syncs the shop from
(boutiqueDeliveredBy argocd; docs/delivery.md). It replaces <out>/<stack>/ only when that is
absent, empty or a previous render's (marked by its ${RENDER_MARKER} file), and writes nothing elsewhere.

usage: npm run render -- [--stack dev] [--set key=value ...] [--out out] [--charts]
       npm run render -- [--stack dev] [--set key=value ...] --diff key=value [--diff key=value ...]

  --stack   stack whose Pulumi.<stack>.yaml (in the project root) is read (default dev): a bare
            Pulumi stack name (letters, digits, -, _, .; at most 100; no "/", no leading . or -)
  --set     config override, short (workerCount=4) or full (gcp:zone=...) key; repeatable
  --out     output root (default out)
  --charts  also render every Helm release with the real helm into charts/<release>.yaml; with
            --diff, list the objects of each chart the change releases
            (helm: bash .ci/install-helm; charts: ../shared/charts or npm run charts:pull)
  --diff    print which resources a config change would create, delete, release (leave running,
            no longer managed) or change, and the in-cluster scaler's target set for it (what a
            scale update touches, what outside it depends on it, what it would leave undone), and exit`;

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            ...STACK_OPTIONS,
            out: { type: "string", default: "out" },
            diff: { type: "string", multiple: true, default: [] },
            charts: { type: "boolean", default: false },
        },
        strict: true,
    });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    // Every refusal of the command line comes before anything is read or deleted.
    const stack = requireStackName(values.stack);
    const overrides = parseAssignments(values.set);
    const changes = parseAssignments(values.diff);
    const dir = values.diff.length > 0 ? undefined : renderDirectory(values.out, stack); // --diff writes nothing
    const projectRoot = path.resolve(__dirname, "..");
    const project = readProjectFile(projectRoot).name;
    const cloud = new MockCloud();
    const evaluate = (extra: Record<string, string>) =>
        evaluateProgram({ projectRoot, project, stack, cloud, config: loadStackConfigMap(projectRoot, stack, { ...overrides, ...extra }) });

    const current = await evaluate({});
    if (dir === undefined) {
        // The change is made to a stack that deployed `current` (its release is checked against it).
        cloud.deployedOutputs = current.stackOutputs;
        const changed = await evaluate(changes);
        // Each change as the user typed it, bounded (a value may be up to 64 KiB).
        console.log(`${project}/${stack}: ${values.diff.map((change) => (change.length > ECHO_LIMIT ? quoteInput(change) : change)).join(" ")}`);
        const diff = diffEvaluations(current, changed);
        console.log(formatDiff(diff));
        if (values.charts) {
            const config = parseStackConfig(loadStackConfigMap(projectRoot, stack, overrides).values);
            const released = diff.deleted.filter((resource) => resource.retained);
            for (const [chart, objects] of releasedChartObjects(projectRoot, current, released, config)) {
                console.log(
                    `  ↷ ${chart}: ${objects.length} objects left running, no longer managed by Pulumi\n${objects.map((id) => `      ${id}`).join("\n")}`,
                );
            }
        }
        // The scaler targets the slots whose workers differ (scaler/cloud-provider.ts, attemptStarting).
        const workersOf = (extra: Record<string, string>) =>
            parseStackConfig(loadStackConfigMap(projectRoot, stack, { ...overrides, ...extra }).values).workers;
        const { added, removed } = slotChanges(workersOf({}), workersOf(changes));
        const patterns = scaleTargets(stack, [...added, ...removed]);
        console.log(formatScaleTargets(scaleTargetReport({ before: current.resources, after: changed.resources, diff, patterns, stack, project })));
        return 0;
    }
    const charts = values.charts ? renderCharts(projectRoot, current, parseStackConfig(loadStackConfigMap(projectRoot, stack, overrides).values)) : {};
    const written = writeEvaluation({ ...current, artifacts: { ...current.artifacts, ...charts } }, dir);
    console.log(`${project}/${stack}: wrote ${written.length} files to ${path.relative(process.cwd(), dir) || "."}`);
    console.log(formatSummary(current.resources));
    return 0;
}

runCli(main, USAGE, (error) => (error instanceof StackConfigError ? error.message : fileSystemProblem(error)));
