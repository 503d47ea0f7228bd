import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BOOTSTRAP_PROJECT, parseBootstrapConfig } from "../config/bootstrap-config";
import { parseStackConfig, StackConfigError } from "../config/stack-config";
import { loadStackConfigMap, StackConfigMap } from "../config/stack-files";
import { evaluateProgram } from "../render/evaluate";
import { MockCloud } from "../render/mock-cloud";
import { DOCS, PROJECT_ROOT } from "./fixtures";
import { evaluateBootstrap, evaluateDev } from "./support/program";
import { ConfigBlock, configBlocks, ConfigWorkspace } from "./support/readme-config";

/**
 * A new stack and README's config commands, as a newcomer meets them: the keys a new stack must
 * set on top of Pulumi.yaml's defaults render; and every README block that changes config, run
 * top to bottom in real bash (a fake pulumi edits the stack file as the CLI does), leaves a
 * config that validates at every `pulumi up` and renders at the end of each block.
 */

const BOOTSTRAP_ROOT = path.join(PROJECT_ROOT, "bootstrap");

/** The config a stack file holds, as the CLI hands it to the program (defaults first). */
function configOf(projectRoot: string, stackFileText: string): StackConfigMap {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-state-"));
    fs.symlinkSync(path.join(projectRoot, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, "Pulumi.state.yaml"), stackFileText);
    return loadStackConfigMap(dir, "state");
}

function problemsOf(validate: () => unknown): string | undefined {
    try {
        validate();
        return undefined;
    } catch (error) {
        return error instanceof StackConfigError ? error.problems.join(" | ") : String(error);
    }
}

describe("a new stack and README's config commands", () => {
    it("renders a new stack of Pulumi.yaml's defaults plus only the keys it must set", async function () {
        this.timeout(120_000);
        const required = [
            "config:",
            "  gcp:project: boutique-fresh-000001",
            "  gcp:region: europe-west1",
            "  gcp:zone: europe-west1-b",
            "  boutique-platform:adminCidrs:",
            "    - 203.0.113.7/32",
            "",
        ].join("\n");
        const config = configOf(PROJECT_ROOT, required);
        assert.equal(
            problemsOf(() => parseStackConfig(config.values)),
            undefined,
        );
        const evaluation = await evaluateProgram({ projectRoot: PROJECT_ROOT, project: "boutique-platform", stack: "fresh", cloud: new MockCloud(), config });
        assert.ok(evaluation.resources.length > 100, `${evaluation.resources.length} resources`);
        // Nothing of the dev stack leaks into a new one: its cluster is named by the default.
        assert.ok(evaluation.resources.some((resource) => resource.type === "gcp:compute/instance:Instance" && resource.name === "cp-0-vm"));
        assert.equal(JSON.stringify(evaluation.resources).includes("boutique-dev"), false);
    });

    it("runs every README and docs block that changes config, top to bottom per section: each `up` validates, each block's end renders", async function () {
        this.timeout(600_000);
        const found = DOCS.map((file) => ({ file, ...configBlocks(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8")) }));
        const blocks = found.flatMap(({ file, blocks: inFile }) => inFile.map((block) => ({ ...block, section: `${file}: ${block.section}` })));
        const syntaxSpans = found.reduce((sum, { syntaxSpans: spans }) => sum + spans, 0);
        assert.ok(blocks.length >= 8, `${blocks.length} blocks`);
        const devOutputs = (await evaluateDev()).stackOutputs;
        const bootstrapOutputs = (await evaluateBootstrap()).stackOutputs;
        const sections = [...new Set(blocks.map((block) => block.section))];
        const failures: string[] = [];
        let states = 0;
        let renders = 0;
        for (const section of sections) {
            const inSection = blocks.filter((block) => block.section === section);
            for (const bootstrap of [false, true]) {
                const runs: ConfigBlock[] = inSection.filter((block) => block.bootstrap === bootstrap);
                if (runs.length === 0) continue;
                const fresh = bootstrap || runs.some((block) => /config set gcp:project/.test(block.script));
                const root = bootstrap ? BOOTSTRAP_ROOT : PROJECT_ROOT;
                const workspace = new ConfigWorkspace(
                    root,
                    fresh ? "fresh" : "dev",
                    fresh ? undefined : fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8"),
                    bootstrap ? bootstrapOutputs : devOutputs,
                    bootstrapOutputs,
                );
                for (const block of runs) {
                    const where = `${section.split(": ")[0]} line ${block.line} (${section.slice(section.indexOf(": ") + 2)})`;
                    const run = workspace.run(block);
                    if (run.status !== 0) {
                        failures.push(`${where}: the commands failed: ${run.stderr.trim().slice(0, 300)}`);
                        continue;
                    }
                    for (const state of run.states) {
                        states++;
                        const config = configOf(root, state);
                        const problem = problemsOf(() => (bootstrap ? parseBootstrapConfig(config.values) : parseStackConfig(config.values)));
                        if (problem) failures.push(`${where}: ${problem}`);
                    }
                    const end = configOf(root, run.states[run.states.length - 1]);
                    try {
                        await evaluateProgram({
                            projectRoot: root,
                            project: bootstrap ? BOOTSTRAP_PROJECT : "boutique-platform",
                            stack: workspace.stack,
                            cloud: new MockCloud(),
                            config: end,
                        });
                        renders++;
                    } catch (error) {
                        if (!failures.some((failure) => failure.startsWith(where))) failures.push(`${where}: does not render: ${String(error).slice(0, 300)}`);
                    }
                }
            }
        }
        console.log(
            `      ${blocks.length} blocks in ${sections.length} sections; ${states} configs validated, ${renders} rendered; ${syntaxSpans} inline syntax examples skipped`,
        );
        assert.deepEqual(failures, []);
    });
});
