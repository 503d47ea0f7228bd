import { spawn } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";

export interface ChildResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs one of the project's CLIs (`render/main.ts`, `scaler/scale.ts`) as npm would, in its own process. */
export function runScript(script: string, args: readonly string[]): Promise<ChildResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_ROOT, script), ...args], {
            cwd: PROJECT_ROOT,
        });
        let [stdout, stderr] = ["", ""];
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** `work` over `items`, at most `limit` at a time (each is a process: the machine's CPUs are shared), results in order. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** A JavaScript stack trace's frame lines, as runCli prints them for an error it does not know. */
export const STACK_FRAME = /^ {4}at /m;
