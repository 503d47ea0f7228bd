import * as fs from "fs";
import * as path from "path";
import { quoteInput, requireDirectoryPath, UsageError } from "../config/cli";
import { Evaluation } from "./evaluation";

/**
 * The file every render writes first into its folder: the proof that the folder is a render's
 * output, so the next render may replace it whole. A non-empty folder without it is someone
 * else's (`--out ~ --stack Documents`) and is never emptied.
 */
export const RENDER_MARKER = ".boutique-render";
const MARKER_TEXT = "Written by `npm run render` (boutique-platform). The next render into this folder replaces it whole.\n";

/** Renders from before the marker: resources.json, haproxy.cfg and nodes/ together. */
const LEGACY_RENDER = [
    ["resources.json", "file"],
    ["haproxy.cfg", "file"],
    ["nodes", "directory"],
] as const;

/** `target` is below `root` (not `root` itself, not beside or above it); both already resolved. */
export function isStrictlyInside(root: string, target: string): boolean {
    const relative = path.relative(root, target);
    return relative !== "" && !path.isAbsolute(relative) && relative.split(path.sep)[0] !== "..";
}

function isRenderOutput(dir: string): boolean {
    if (fs.existsSync(path.join(dir, RENDER_MARKER))) return true;
    return LEGACY_RENDER.every(([name, kind]) => {
        const stat = fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false });
        return kind === "file" ? stat?.isFile() === true : stat?.isDirectory() === true;
    });
}

/** Refuses to replace `dir` unless it is absent, an empty folder, or a render's own folder. */
function requireReplaceable(dir: string): void {
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (stat === undefined) return;
    const refuse = (why: string): never => {
        throw new UsageError(`refusing to replace ${quoteInput(dir)}: ${why}; move it away or choose another --out`);
    };
    if (stat.isSymbolicLink()) refuse("it is a symbolic link");
    if (!stat.isDirectory()) refuse("it is not a directory");
    if (fs.readdirSync(dir).length > 0 && !isRenderOutput(dir)) refuse(`it is not a render's output (no ${RENDER_MARKER} in it)`);
}

/**
 * The folder a render of `stack` writes, <out>/<stack>, checked before anything is read or
 * deleted: strictly inside --out (resolved through symbolic links), and absent, empty or a
 * previous render's. `stack` must already be a bare stack name (config/stack-name.ts).
 */
export function renderDirectory(out: string, stack: string): string {
    requireDirectoryPath("--out", out);
    const resolved = path.resolve(out);
    const root = fs.existsSync(resolved) ? fs.realpathSync(resolved) : resolved;
    const dir = path.join(root, stack);
    if (!isStrictlyInside(root, dir)) throw new UsageError(`--stack ${quoteInput(stack)} leaves --out ${quoteInput(out)}`);
    requireReplaceable(dir);
    return dir;
}

/**
 * Writes an evaluation to `dir` (replacing what was there, so no stale file survives):
 * the marker, resources.json and every generated artifact at its relative path. Nothing is
 * deleted unless `dir` may be replaced and every artifact lands inside it.
 */
export function writeEvaluation(evaluation: Evaluation, dir: string): string[] {
    const root = path.resolve(dir);
    const targets = Object.entries(evaluation.artifacts).map(([file, text]) => {
        const target = path.resolve(root, file);
        if (!isStrictlyInside(root, target)) throw new Error(`artifact path ${quoteInput(file)} escapes the output directory`);
        return { file, target, text };
    });
    requireReplaceable(root);
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    // First, so a render that stops half-way still leaves a folder the next render may replace.
    fs.writeFileSync(path.join(root, RENDER_MARKER), MARKER_TEXT);
    const written = ["resources.json"];
    fs.writeFileSync(path.join(root, "resources.json"), JSON.stringify(evaluation.resources, null, 2) + "\n");
    for (const { file, target, text } of targets) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        // Scripts are executable, everything else plain.
        fs.writeFileSync(target, text, { mode: file.endsWith(".sh") ? 0o755 : 0o644 });
        written.push(file);
    }
    return written;
}
