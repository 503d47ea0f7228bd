import { spawnSync } from "child_process";

/**
 * Tests that drive real tools (haproxy, shellcheck, promtool) call this first. On a machine
 * without the tool the test is skipped with the reason; under CI (.ci/run sets
 * REQUIRE_TOOLS=1) a missing tool fails the test instead, so CI can never go green by skipping.
 */
export function requireTool(context: Mocha.Context, tool: string, installHint: string): void {
    const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).status === 0;
    if (found) {
        return;
    }
    skipOrFail(context, `${tool} is not installed (${installHint})`);
}

/** A test that cannot run here: skipped with the reason, or failed under REQUIRE_TOOLS=1 (CI). */
export function skipOrFail(context: Mocha.Context, reason: string): never {
    if (process.env.REQUIRE_TOOLS === "1") {
        throw new Error(`${reason}; REQUIRE_TOOLS=1 makes this a failure`);
    }
    console.log(`      skipped: ${reason}`);
    context.skip();
}
