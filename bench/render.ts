import * as path from "path";
import { performance } from "perf_hooks";
import { loadStackConfigMap, readProjectFile } from "../config/stack-files";
import { evaluateProgram } from "../render/evaluate";
import { MockCloud } from "../render/mock-cloud";

/**
 * Prints what evaluating the program costs under the mock runtime as the worker pool grows:
 * resources declared and wall-clock seconds per evaluation. A figure-printing script, not a test.
 *
 * usage: npm run bench [-- 10 100]   (worker counts; default 10 25 50 100)
 */
async function main(counts: number[]): Promise<void> {
    const projectRoot = path.resolve(__dirname, "..");
    const project = readProjectFile(projectRoot).name;
    const evaluate = (workers: number) =>
        evaluateProgram({
            projectRoot,
            project,
            stack: "dev",
            cloud: new MockCloud(),
            // One Loki replica, so the small warm-up pool (minWorkers 1) is valid config too.
            config: loadStackConfigMap(projectRoot, "dev", {
                workerCount: String(workers),
                minWorkers: "1",
                maxWorkers: String(Math.max(workers, 1)),
                lokiReplicas: "1",
            }),
        });
    await evaluate(1); // warm-up: module loading and JIT are not the program's cost
    const rows: { workers: number; resources: number; seconds: number }[] = [];
    for (const workers of counts) {
        const started = performance.now();
        const evaluation = await evaluate(workers);
        rows.push({ workers, resources: evaluation.resources.length, seconds: (performance.now() - started) / 1000 });
    }
    console.log(`node ${process.version}, ${project}/dev, mock runtime, one evaluation each`);
    console.log("workers  resources  seconds  resources/worker*  ms/worker*");
    rows.forEach((row, i) => {
        const previous = rows[i - 1];
        const perWorker = previous ? ((row.resources - previous.resources) / (row.workers - previous.workers)).toFixed(1) : "-";
        const msPerWorker = previous ? (((row.seconds - previous.seconds) * 1000) / (row.workers - previous.workers)).toFixed(1) : "-";
        console.log(
            `${String(row.workers).padStart(7)}  ${String(row.resources).padStart(9)}  ${row.seconds.toFixed(2).padStart(7)}  ${perWorker.padStart(17)}  ${msPerWorker.padStart(10)}`,
        );
    });
    console.log("* increment from the previous row (resources include the worker's reserved address)");
}

const counts = process.argv.slice(2).map(Number);
main(counts.length > 0 ? counts : [10, 25, 50, 100]).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
