import { spawnSync } from "child_process";

export interface ShellcheckResult {
    readonly passed: boolean;
    /** shellcheck's findings (empty when it passed). */
    readonly report: string;
}

/** Runs the real shellcheck on `text` read from stdin, as a `shell` script (all default checks). */
export function shellcheck(text: string, shell: "bash" | "sh" = "bash"): ShellcheckResult {
    const run = spawnSync("shellcheck", [`--shell=${shell}`, "--external-sources", "-"], { input: text, encoding: "utf8" });
    if (run.error) throw run.error;
    return { passed: run.status === 0, report: `${run.stdout}${run.stderr}` };
}
