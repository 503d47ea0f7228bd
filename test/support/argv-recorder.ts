import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Records the command line of every external process a script starts, as any local user sees it
 * in `ps` or /proc/<pid>/cmdline. A shim directory, first on PATH, holds one symlink per command
 * name (every executable on the real PATH, plus the fakes') to one bash shim, which copies its own
 * /proc/$$/cmdline to a record file and then execs the command it stands for: the first of that
 * name on ARGV_RECORDER_PATH (the fakes, then the real PATH). The shim uses bash builtins only, so
 * it never records itself. A fake's own helpers (its cat, sed, ...) are not the script's and are
 * not recorded; pass-through fakes (sudo, ssh) run the script's commands, so theirs are.
 */

const SHIM = `#!/bin/bash
name=\${0##*/}
if [ -z "\${ARGV_RECORDER_INSIDE_FAKE:-}" ]; then
  mapfile -d '' -t argv </proc/$$/cmdline
  printf '%s\\0' "\${argv[@]:1}" >"$ARGV_RECORDER_LOG/$EPOCHREALTIME.$$"
fi
IFS=: read -r -a dirs <<<"$ARGV_RECORDER_PATH"
for dir in "\${dirs[@]}"; do
  [ -f "$dir/$name" ] && [ -x "$dir/$name" ] || continue
  case ":$ARGV_RECORDER_FAKES:" in
    *":$dir:"*) case " $ARGV_RECORDER_PASS_THROUGH " in *" $name "*) ;; *) export ARGV_RECORDER_INSIDE_FAKE=1 ;; esac ;;
  esac
  exec -a "$name" "$dir/$name" "$@"
done
echo "argv recorder: $name: command not found" >&2
exit 127
`;

/** One process the script started: its command name and its arguments, exactly as /proc showed them. */
export interface CommandRecord {
    readonly tool: string;
    readonly args: readonly string[];
}

/** A record on one line, for messages: arguments with spaces or newlines quoted as JSON. */
export const showRecord = (record: CommandRecord): string =>
    [record.tool, ...record.args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg)))].join(" ");

export interface RecordedEnv {
    /** Fake directories, searched before the real PATH; their helpers are not recorded. */
    readonly fakeDirs: readonly string[];
    /** Fakes that only run what they are given (sudo, ssh): what they run is recorded. */
    readonly passThrough?: readonly string[];
}

export class ArgvRecorder {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "argv-recorder-"));
    private readonly shims = path.join(this.dir, "shims");
    private readonly shim = path.join(this.dir, "shim");
    private readonly log = path.join(this.dir, "log");

    constructor(private readonly realPath = process.env.PATH ?? "/usr/bin:/bin") {
        fs.mkdirSync(this.shims);
        fs.mkdirSync(this.log);
        fs.writeFileSync(this.shim, SHIM, { mode: 0o755 });
        this.cover(realPath.split(":"));
    }

    /** How many command names the shims stand for. */
    get shimCount(): number {
        return fs.readdirSync(this.shims).length;
    }

    /** The environment of a recorded run (shims first); clears the records of earlier runs. */
    env(options: RecordedEnv): Record<string, string> {
        this.cover(options.fakeDirs);
        fs.rmSync(this.log, { recursive: true, force: true });
        fs.mkdirSync(this.log);
        const lookup = [...options.fakeDirs, this.realPath].join(":");
        return {
            PATH: `${this.shims}:${lookup}`,
            ARGV_RECORDER_PATH: lookup,
            ARGV_RECORDER_FAKES: options.fakeDirs.join(":"),
            ARGV_RECORDER_PASS_THROUGH: (options.passThrough ?? []).join(" "),
            ARGV_RECORDER_LOG: this.log,
        };
    }

    /** The records of the last run, in the order the processes started. */
    records(): CommandRecord[] {
        const byStart = (a: string, b: string) => {
            const [ta, tb] = [a, b].map((name) => Number(name.split(".").slice(0, 2).join(".")));
            return ta - tb || a.localeCompare(b);
        };
        return fs
            .readdirSync(this.log)
            .sort(byStart)
            .map((file) => {
                const [invoked, ...args] = fs.readFileSync(path.join(this.log, file), "utf8").split("\0").slice(0, -1);
                return { tool: path.basename(invoked ?? "?"), args };
            });
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    /** Adds a shim for every executable in `dirs` that has none yet. */
    private cover(dirs: readonly string[]): void {
        for (const dir of dirs) {
            if (!dir || !fs.existsSync(dir)) continue;
            for (const name of fs.readdirSync(dir)) {
                const link = path.join(this.shims, name);
                if (fs.existsSync(link) || !isExecutableFile(path.join(dir, name))) continue;
                fs.symlinkSync(this.shim, link);
            }
        }
    }
}

function isExecutableFile(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}
