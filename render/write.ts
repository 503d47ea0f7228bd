import * as fs from "fs";
import * as path from "path";
import { Evaluation } from "./evaluate";

/**
 * Writes an evaluation to `dir` (replacing what was there, so no stale file survives):
 * resources.json and every generated artifact at its relative path.
 */
export function writeEvaluation(evaluation: Evaluation, dir: string): string[] {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const written = ["resources.json"];
    fs.writeFileSync(path.join(dir, "resources.json"), JSON.stringify(evaluation.resources, null, 2) + "\n");
    for (const [file, text] of Object.entries(evaluation.artifacts)) {
        const target = path.resolve(dir, file);
        if (!target.startsWith(path.resolve(dir) + path.sep)) {
            throw new Error(`artifact path ${file} escapes the output directory`);
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
        // Scripts are executable, everything else plain.
        fs.writeFileSync(target, text, { mode: file.endsWith(".sh") ? 0o755 : 0o644 });
        written.push(file);
    }
    return written;
}
