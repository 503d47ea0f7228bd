import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * A temp dir in which node scripts run against fake tools. Each stub (kubectl, kubeadm,
 * systemctl, haproxy, sudo, ...) appends its command line to a log and answers by the first
 * rule whose bash regex matches that line (default: exit 0, no output). Scripts see the temp
 * dir as their root (BOUTIQUE_TEST_ROOT) and never wait (BOUTIQUE_TEST_WAIT_SECONDS=0).
 */

export interface StubRule {
    /** A bash extended regex matched against "<tool> <args joined by spaces>". */
    readonly match: string;
    readonly exit?: number;
    readonly stdout?: string;
    /** The rule answers only its first `times` matching calls; later ones fall through to the next rule. */
    readonly times?: number;
    /** The call never answers (it sleeps HANG_SECONDS, far past any test's limits) until it is killed. */
    readonly hang?: boolean;
}

/** How long a hanging stub sleeps: bounded, so a script that fails to kill it cannot stall the suite for long. */
export const HANG_SECONDS = 60;

export interface ScriptRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** One "<tool> <args>" line per stub call, in order (newlines inside arguments shown as \n). */
    readonly calls: readonly string[];
}

// Generic stub: log the call, then apply the first matching rule
// ("<exit>\t<times, 0: always>\t<hang 0/1>\t<regex>\t<base64 stdout>"; the one field that may be empty is last).
const STUB = `#!/usr/bin/env bash
line=$(basename "$0")
for arg in "$@"; do line+=" $arg"; done
printf '%s\\n' "\${line//$'\\n'/\\\\n}" >>"$STUB_DIR/calls"
if [ "$(basename "$0")" = sudo ]; then
  [ "$1" = -n ] || { echo "sudo stub: expected -n first" >&2; exit 97; }
  shift
  [ "$1" = bash ] && [ "$2" = -c ] && printf '%s' "$3" >"$STUB_DIR/sudo-script"
  [ "\${STUB_SUDO_EXEC:-1}" = 1 ] || exit 0
  exec "$@"
fi
[ -f "$STUB_DIR/rules" ] || exit 0
rule=0
while IFS=$'\\t' read -r code times hang pattern output; do
  rule=$((rule + 1))
  if [[ $line =~ $pattern ]]; then
    if [ "$times" -gt 0 ]; then
      used=$(cat "$STUB_DIR/used-$rule" 2>/dev/null || echo 0)
      [ "$used" -lt "$times" ] || continue
      echo $((used + 1)) >"$STUB_DIR/used-$rule"
    fi
    [ "$hang" = 0 ] || exec sleep ${HANG_SECONDS}
    [ -z "$output" ] || printf '%s' "$output" | base64 -d
    exit "$code"
  fi
done <"$STUB_DIR/rules"
exit 0
`;

export interface RunOptions {
    readonly stdin?: string;
    readonly env?: Record<string, string>;
    readonly shell?: "bash" | "sh";
    readonly asCommandString?: boolean;
    /** The script's arguments (not with asCommandString). */
    readonly args?: readonly string[];
}

export class ScriptSandbox {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-scripts-"));
    /** What the scripts see as "/". */
    readonly root = path.join(this.dir, "root");
    /** The stubs and fakes, first on PATH. */
    readonly bin = path.join(this.dir, "bin");

    constructor(tools: readonly string[], rules: readonly StubRule[] = []) {
        fs.mkdirSync(this.root);
        fs.mkdirSync(this.bin);
        for (const tool of tools) fs.writeFileSync(path.join(this.bin, tool), STUB, { mode: 0o755 });
        this.setRules(rules);
    }

    setRules(rules: readonly StubRule[]): void {
        const lines = rules.map(
            (rule) => `${rule.exit ?? 0}\t${rule.times ?? 0}\t${rule.hang ? 1 : 0}\t${rule.match}\t${Buffer.from(rule.stdout ?? "").toString("base64")}\n`,
        );
        fs.writeFileSync(path.join(this.dir, "rules"), lines.join(""));
        for (const file of fs.readdirSync(this.dir)) if (file.startsWith("used-")) fs.rmSync(path.join(this.dir, file));
    }

    /** Absolute host path of `file`, a path as the script sees it. */
    path(file: string): string {
        return path.join(this.root, file);
    }

    write(file: string, content: string, mode = 0o644): void {
        fs.mkdirSync(path.dirname(this.path(file)), { recursive: true });
        fs.writeFileSync(this.path(file), content, { mode });
    }

    read(file: string): string {
        return fs.readFileSync(this.path(file), "utf8");
    }

    exists(file: string): boolean {
        return fs.existsSync(this.path(file));
    }

    /** The script text the sudo stub received after `-n bash -c`. */
    sudoScript(): string {
        return fs.readFileSync(path.join(this.dir, "sudo-script"), "utf8");
    }

    /** Runs `script` with bash (or runs a command string with `shell -c`), stubs first on PATH. */
    run(script: string, options: RunOptions = {}): ScriptRun {
        const [command, args, env] = this.prepareRun(script, options);
        const result = spawnSync(command, args, { input: options.stdin ?? "", encoding: "utf8", timeout: 30_000, env });
        if (result.error) throw result.error;
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls: this.calls() };
    }

    /** As `run`, without blocking this process (for fakes it serves itself, e.g. a fake Google on loopback). */
    runAsync(script: string, options: RunOptions = {}): Promise<ScriptRun> {
        const [command, args, env] = this.prepareRun(script, options);
        return new Promise((resolve, reject) => {
            const child = spawn(command, args, { env });
            let [stdout, stderr] = ["", ""];
            child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
            child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
            const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
            child.on("error", reject);
            child.stdin.end(options.stdin ?? "");
            child.on("close", (status) => {
                clearTimeout(timeout);
                resolve({ status, stdout, stderr, calls: this.calls() });
            });
        });
    }

    /** Moves the stub of `tool` aside (still answering by the rules at `stubAside(tool)`) for a fake that wraps it. */
    wrapStub(tool: string, wrapper: string): void {
        fs.mkdirSync(path.dirname(this.stubAside(tool)), { recursive: true });
        fs.renameSync(path.join(this.bin, tool), this.stubAside(tool));
        fs.writeFileSync(path.join(this.bin, tool), wrapper, { mode: 0o755 });
    }

    stubAside(tool: string): string {
        return path.join(this.dir, "stubs-aside", tool);
    }

    private prepareRun(script: string, options: RunOptions): [string, string[], NodeJS.ProcessEnv] {
        fs.rmSync(path.join(this.dir, "calls"), { force: true });
        const file = path.join(this.dir, "script.sh");
        fs.writeFileSync(file, script, { mode: 0o700 });
        const args = options.asCommandString ? ["-c", script] : [file, ...(options.args ?? [])];
        const env = {
            PATH: `${this.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
            STUB_DIR: this.dir,
            BOUTIQUE_TEST_ROOT: this.root,
            BOUTIQUE_TEST_WAIT_SECONDS: "0",
            ...options.env,
        };
        return [options.shell ?? "bash", args, env];
    }

    private calls(): string[] {
        const callsFile = path.join(this.dir, "calls");
        return fs.existsSync(callsFile)
            ? fs
                  .readFileSync(callsFile, "utf8")
                  .split("\n")
                  .filter((line) => line !== "")
            : [];
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The index of the first call matching `pattern`, or -1. */
export function callIndex(calls: readonly string[], pattern: RegExp): number {
    return calls.findIndex((call) => pattern.test(call));
}

/** A well-formed bootstrap token and certificate key for scripts under test. */
export const TOKEN = "abcdef.0123456789abcdef";
export const CERT_KEY = "0123456789abcdef".repeat(4);

/** A file's permission bits as four octal digits ("0600"). */
export const modeOf = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0");

/** Runs `body` with a sandbox of the given stub tools, always cleaned up. */
export function withSandbox(tools: readonly string[], rules: readonly StubRule[], body: (sandbox: ScriptSandbox) => void): void {
    const sandbox = new ScriptSandbox(tools, rules);
    try {
        body(sandbox);
    } finally {
        sandbox.cleanup();
    }
}
