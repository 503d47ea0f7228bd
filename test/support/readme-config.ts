import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";
import { fakePulumiEnv, installFakePulumi } from "./fake-pulumi";

/**
 * README's config commands as a newcomer runs them: every fenced block (and inline command) that
 * runs `pulumi config set|rm`, grouped by the `## ` section it is in, run top to bottom in real
 * bash against a fake `pulumi` (test/support/fake-pulumi.ts) that edits a stack file as the CLI
 * does. A section that sets gcp:project starts from a new stack (Pulumi.yaml's defaults only);
 * any other from the dev stack. A block whose lines `cd bootstrap` configures the CI bootstrap.
 */

export interface ConfigBlock {
    readonly section: string;
    /** README's line number of the block's first command. */
    readonly line: number;
    /** The commands run: the block's lines that call pulumi (or cd), placeholders replaced. */
    readonly script: string;
    readonly bootstrap: boolean;
}

/** README's placeholders and what a newcomer would type for them (longest first). */
export const PLACEHOLDERS: readonly [string, string][] = [
    ["<group>/<project>", "shop-team/online-boutique"],
    ["<project-id>", "boutique-fresh-000001"],
    ["<project>", "boutique-fresh-000001"],
    ["<state-bucket>", "boutique-fresh-000001-pulumi-state"],
    ["<stack>", "fresh"],
    ["<p>", "boutique-fresh-000001"],
    ["<r>", "boutique-pulumi"],
    ["<k>", "stack-secrets"],
];

const CONFIG_COMMAND = /pulumi\s+(-C\s+\S+\s+)?config\s+(set|rm)\b/;

function substitute(text: string): string {
    return PLACEHOLDERS.reduce((result, [placeholder, value]) => result.split(placeholder).join(value), text);
}

/** The blocks to run, in README's order. Inline spans that still hold a placeholder describe syntax and are skipped. */
export function configBlocks(markdown: string): { blocks: ConfigBlock[]; syntaxSpans: number } {
    const lines = markdown.split("\n");
    const found: ConfigBlock[] = [];
    const sectionAt = (line: number) => lines.slice(0, line).reduce((section, text) => (/^## /.test(text) ? text.slice(3).trim() : section), "");
    // Fenced blocks first; the prose keeps its line numbers with the fences blanked out.
    const prose = [...lines];
    let fenceStart: number | undefined;
    lines.forEach((line, index) => {
        if (!/^\s*```/.test(line)) {
            if (fenceStart !== undefined) prose[index] = "";
            return;
        }
        prose[index] = "";
        if (fenceStart === undefined) return void (fenceStart = index);
        const body = lines.slice(fenceStart + 1, index);
        if (body.some((text) => CONFIG_COMMAND.test(text))) {
            const kept = body.filter((text) => /\bpulumi\s/.test(text) || /\bnpm run up\b/.test(text) || /^\s*cd\s/.test(text));
            found.push({
                section: sectionAt(fenceStart),
                line: fenceStart + 2,
                script: substitute(kept.join("\n")),
                bootstrap: kept.some((text) => /^\s*cd\s+bootstrap\b/.test(text)),
            });
        }
        fenceStart = undefined;
    });
    // Inline commands in the prose, which may wrap across lines.
    let syntaxSpans = 0;
    const text = prose.join("\n");
    for (const match of text.matchAll(/`([^`]*pulumi\s+config\s+(?:set|rm)\b[^`]*)`/g)) {
        const line = text.slice(0, match.index).split("\n").length;
        const command = substitute(match[1].replace(/\s+/g, " "));
        if (/<[^>]+>/.test(command)) syntaxSpans++;
        else found.push({ section: sectionAt(line - 1), line, script: command, bootstrap: false });
    }
    return { blocks: found.sort((x, y) => x.line - y.line), syntaxSpans };
}

export interface BlockRun {
    readonly block: ConfigBlock;
    readonly status: number | null;
    readonly stderr: string;
    /** The stack file at each `pulumi up`/`preview` in the block, then at its end. */
    readonly states: readonly string[];
}

/** A temp project (Pulumi.yaml linked, not copied) in which the fake runs one section's blocks in order. */
export class ConfigWorkspace {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-config-"));
    private readonly bin = path.join(this.dir, "bin");

    constructor(
        readonly projectRoot: string,
        readonly stack: string,
        startFrom: string | undefined,
        outputs: Readonly<Record<string, unknown>>,
        bootstrapOutputs: Readonly<Record<string, unknown>>,
    ) {
        installFakePulumi(this.bin);
        // curl answers as ifconfig.me would: the caller's public address.
        fs.writeFileSync(path.join(this.bin, "curl"), "#!/usr/bin/env bash\necho 203.0.113.7\n", { mode: 0o755 });
        fs.symlinkSync(path.join(projectRoot, "Pulumi.yaml"), path.join(this.dir, "Pulumi.yaml"));
        fs.writeFileSync(path.join(this.dir, `Pulumi.${stack}.yaml`), startFrom ?? "config: {}\n");
        fs.writeFileSync(path.join(this.dir, ".fake-outputs.json"), JSON.stringify(outputs));
        // `pulumi -C bootstrap stack output …`: the CI bootstrap's outputs, beside the stack's project.
        const bootstrap = path.join(this.dir, "bootstrap");
        fs.mkdirSync(bootstrap);
        fs.symlinkSync(path.join(PROJECT_ROOT, "bootstrap", "Pulumi.yaml"), path.join(bootstrap, "Pulumi.yaml"));
        fs.writeFileSync(path.join(bootstrap, ".fake-outputs.json"), JSON.stringify(bootstrapOutputs));
    }

    get stackFile(): string {
        return path.join(this.dir, `Pulumi.${this.stack}.yaml`);
    }

    run(block: ConfigBlock): BlockRun {
        const snapshots = fs.mkdtempSync(path.join(this.dir, "snapshots-"));
        // A block that configures the bootstrap runs in a workspace of its own: `cd bootstrap` stays put.
        const script = block.bootstrap ? block.script.replace(/^\s*cd\s+(bootstrap|\.\.)\s*$/gm, ":") : block.script;
        const result = spawnSync("bash", ["-euo", "pipefail", "-c", script], {
            cwd: this.dir,
            encoding: "utf8",
            env: { ...process.env, PATH: `${this.bin}:${process.env.PATH}`, ...fakePulumiEnv(this.stack, snapshots) },
        });
        const taken = fs
            .readdirSync(snapshots)
            .sort()
            .map((file) => fs.readFileSync(path.join(snapshots, file), "utf8"));
        return { block, status: result.status, stderr: result.stderr, states: [...taken, fs.readFileSync(this.stackFile, "utf8")] };
    }
}
