import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";

// The benchmark prints figures and is never timed here; this only keeps the script working.
describe("npm run bench:scaler (the script, on a tiny load)", function () {
    this.timeout(120_000);

    it("measures the scaler and the grpc-js baseline for both RPCs, each during an update, then a burst", () => {
        const args = ["--callers", "4", "--calls", "3", "--pause-ms", "5", "--burst", "5", "--up-seconds", "3"];
        const bench = spawnSync(
            process.execPath,
            [path.join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_ROOT, "bench/scaler.ts"), ...args],
            {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
                timeout: 110_000,
            },
        );
        assert.equal(bench.status, 0, bench.stderr);
        for (const server of ["scaler", "baseline"]) {
            for (const method of ["NodeGroupTargetSize", "NodeGroupNodes"]) {
                for (const mode of ["back to back", "paced 5 ms"]) {
                    const line = bench.stdout.split("\n").find((text) => text.startsWith(server) && text.includes(method) && text.includes(mode));
                    assert.match(line ?? "", / 12 calls .* p50 +\d+\.\d\d ms +p99 +\d+\.\d\d ms/, `${server} ${method} ${mode}:\n${bench.stdout}`);
                    if (server === "scaler") assert.doesNotMatch(line ?? "", /update ended/, "the scaler is measured while an update runs");
                }
            }
        }
        const burst = /size (\d+) -> (\d+) \(expected (\d+)\), (\d+) more up run/.exec(bench.stdout);
        assert.ok(burst, bench.stdout);
        const [, start, final, expected, ups] = burst.map(Number);
        assert.deepEqual([final, expected], [start + 5, start + 5]);
        assert.ok(ups >= 1 && ups <= 2, `${ups} up runs`);
    });
});
