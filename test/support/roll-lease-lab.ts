import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bash } from "../../components/cluster/rendered/node-scripts-shell";

/**
 * A cluster for the roll scripts (node-scripts-roll.ts) run as real concurrent processes: a fake
 * kubectl whose roll Lease is atomic like the API server's (a create of an existing Lease fails;
 * `ln` of a file makes exactly one create win), fake Nodes with a Ready state and kubelet version,
 * drains that can be made to fail, and an event log with wall-clock milliseconds. `sleep` is
 * shortened (the scripts poll every 5 s) and `date` can be moved forward (the Lease expires after
 * ROLL_LEASE_SECONDS, an hour).
 */

const realTool = (tool: string) => {
    const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (!found.startsWith("/")) throw new Error(`no ${tool} on this machine`);
    return found;
};
const REAL = { date: realTool("date"), sleep: realTool("sleep") };

/** How long the scripts' `sleep 5` between polls really sleeps. */
export const POLL_SECONDS = 0.2;

const KUBECTL = bash`#!/usr/bin/env bash
set -u
event() { printf '%s %s %s\n' "$(${REAL.date} +%s%3N)" "$LAB_NODE" "$*" >>"$LEASE_LAB/events"; }
[ "$1" = --kubeconfig ] && shift 2
lease="$LEASE_LAB/lease"
node=""; prev=""
for arg in "$@"; do [ "$prev" = node ] && node=$arg; prev=$arg; done
case "$*" in
  "create -f -")
    spec=$(cat)
    holder=$(sed -n 's/^  holderIdentity: //p' <<<"$spec")
    renewed=$(sed -n 's/^  renewTime: //p' <<<"$spec")
    [ -n "$holder" ] && [ -n "$renewed" ] || { echo "fake kubectl: a Lease without holderIdentity or renewTime" >&2; exit 1; }
    printf '%s %s 1\n' "$holder" "$renewed" >"$lease.$$"
    if ln "$lease.$$" "$lease" 2>/dev/null; then
      rm -f "$lease.$$"
      event "took $holder"
      echo "lease.coordination.k8s.io/boutique-node-roll created"
    else
      rm -f "$lease.$$"
      echo 'Error from server (AlreadyExists): leases.coordination.k8s.io "boutique-node-roll" already exists' >&2
      exit 1
    fi ;;
  "-n kube-system get lease boutique-node-roll --ignore-not-found -o jsonpath={.spec.holderIdentity} {.spec.renewTime} {.metadata.resourceVersion}")
    [ ! -f "$lease" ] || tr -d '\n' <"$lease" ;;
  "replace -f -")
    spec=$(cat)
    event "replace-begin"
    # A slow API server: the replace lands this long after the script decided on it.
    [ -z "\${FAKE_REPLACE_LEASE_DELAY:-}" ] || ${REAL.sleep} "$FAKE_REPLACE_LEASE_DELAY"
    holder=$(sed -n 's/^  holderIdentity: //p' <<<"$spec")
    renewed=$(sed -n 's/^  renewTime: //p' <<<"$spec")
    wanted=$(sed -n 's/^  resourceVersion: "\(.*\)"$/\1/p' <<<"$spec")
    # The API server's optimistic concurrency: a replace applies only to the version it names.
    until mkdir "$lease.lock" 2>/dev/null; do ${REAL.sleep} 0.01; done
    read -r _ _ current <"$lease" 2>/dev/null || current=""
    if [ -n "$wanted" ] && [ "$wanted" = "$current" ]; then
      printf '%s %s %s\n' "$holder" "$renewed" "$((current + 1))" >"$lease"
      rmdir "$lease.lock"
      event "took $holder"
      echo "lease.coordination.k8s.io/boutique-node-roll replaced"
    else
      rmdir "$lease.lock"
      echo 'Error from server (Conflict): Operation cannot be fulfilled on leases.coordination.k8s.io "boutique-node-roll": the object has been modified' >&2
      exit 1
    fi ;;
  "-n kube-system get lease boutique-node-roll --ignore-not-found -o jsonpath={.spec.holderIdentity}")
    [ ! -f "$lease" ] || cut -d' ' -f1 <"$lease" | tr -d '\n' ;;
  "-n kube-system delete lease boutique-node-roll")
    event "delete-begin"
    # A slow API server: the delete lands this long after the script decided on it.
    [ -z "\${FAKE_DELETE_LEASE_DELAY:-}" ] || ${REAL.sleep} "$FAKE_DELETE_LEASE_DELAY"
    held=$(cut -d' ' -f1 "$lease" 2>/dev/null) || { echo 'Error from server (NotFound): leases.coordination.k8s.io "boutique-node-roll" not found' >&2; exit 1; }
    rm -f "$lease"
    event "released $held"
    echo 'lease.coordination.k8s.io "boutique-node-roll" deleted' ;;
  "get node $node --ignore-not-found -o name")
    [ ! -f "$LEASE_LAB/nodes/$node" ] || echo "node/$node" ;;
  "get node $node --ignore-not-found -o jsonpath="*)
    [ -f "$LEASE_LAB/nodes/$node" ] || exit 0
    read -r ready version <"$LEASE_LAB/nodes/$node"
    case "$*" in
      *kubeletVersion*) printf '%s %s' "$ready" "$version" ;;
      *) printf '%s' "$ready" ;;
    esac ;;
  "cordon "* | "uncordon "*) event "$1 $2" ;;
  "drain "*)
    node=$2
    if [ -f "$LEASE_LAB/fail-drain-$node" ]; then
      event "drain-failed $node"
      echo "error when evicting pods/checkout-1 -n boutique (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget." >&2
      exit 1
    fi
    event "drained $node" ;;
  *) echo "fake kubectl: unexpected call: $*" >&2; exit 1 ;;
esac
`;

/** The scripts' `date`: "now" moved by the lab's clock offset; dates given with -d are left alone. */
const DATE = bash`#!/usr/bin/env bash
for arg in "$@"; do case "$arg" in -d | --date=*) exec ${REAL.date} "$@" ;; esac; done
exec ${REAL.date} -d "@$(($(${REAL.date} +%s) + $(cat "$LEASE_LAB/clock-offset" 2>/dev/null || echo 0)))" "$@"
`;

const SLEEP = `#!/usr/bin/env bash\nexec ${REAL.sleep} ${POLL_SECONDS}\n`;

export interface RollRun {
    readonly node: string;
    readonly status: number | null;
    readonly stderr: string;
    /** Wall-clock milliseconds. */
    readonly startedAt: number;
    readonly endedAt: number;
}

export interface LeaseEvent {
    readonly at: number;
    /** The process's node (LAB_NODE). */
    readonly by: string;
    readonly what: string;
}

export class RollLeaseLab {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "roll-lease-lab-"));
    private readonly bin = path.join(this.dir, "bin");
    private readonly root = path.join(this.dir, "root");

    constructor() {
        for (const dir of [this.bin, path.join(this.dir, "nodes"), path.join(this.root, "etc/kubernetes")]) fs.mkdirSync(dir, { recursive: true });
        for (const [tool, text] of [
            ["kubectl", KUBECTL],
            ["date", DATE],
            ["sleep", SLEEP],
        ] as const)
            fs.writeFileSync(path.join(this.bin, tool), text, { mode: 0o755 });
        fs.writeFileSync(path.join(this.root, "etc/kubernetes/admin.conf"), "");
    }

    /** A Node with its Ready status ("True", "False") and kubelet version. */
    setNode(node: string, ready: "True" | "False", kubeletVersion = "v1.32.4"): void {
        fs.writeFileSync(path.join(this.dir, "nodes", node), `${ready} ${kubeletVersion}\n`);
    }

    failDrains(node: string): void {
        fs.writeFileSync(path.join(this.dir, `fail-drain-${node}`), "");
    }

    /** A Lease left by a holder that never gave it back, last renewed `secondsAgo` ago. */
    leaseLeftBy(holder: string, secondsAgo: number): void {
        const renewed = new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, ".000000Z");
        fs.writeFileSync(path.join(this.dir, "lease"), `${holder} ${renewed} 7\n`);
    }

    /** Who holds the Lease now, if anyone. */
    holder(): string | undefined {
        const file = path.join(this.dir, "lease");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split(" ")[0] : undefined;
    }

    /** Moves the scripts' clock this far ahead of the wall clock. */
    setClockOffset(seconds: number): void {
        fs.writeFileSync(path.join(this.dir, "clock-offset"), String(seconds));
    }

    events(): LeaseEvent[] {
        const file = path.join(this.dir, "events");
        if (!fs.existsSync(file)) return [];
        return fs
            .readFileSync(file, "utf8")
            .split("\n")
            .filter((line) => line !== "")
            .map((line) => {
                const [at, by, ...what] = line.split(" ");
                return { at: Number(at), by, what: what.join(" ") };
            });
    }

    /** Runs a rendered script with bash, as the lab runner does, in its own process (not waited for here). */
    run(node: string, script: string, options: { readonly waitSeconds: number; readonly env?: Record<string, string> }): Promise<RollRun> {
        const file = path.join(this.dir, `${node}-${Math.random().toString(36).slice(2)}.sh`);
        fs.writeFileSync(file, script, { mode: 0o700 });
        const startedAt = Date.now();
        return new Promise((resolve, reject) => {
            const child = spawn("bash", [file], {
                stdio: ["ignore", "ignore", "pipe"],
                env: {
                    PATH: `${this.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
                    HOME: this.dir,
                    BOUTIQUE_TEST_ROOT: this.root,
                    BOUTIQUE_TEST_WAIT_SECONDS: String(options.waitSeconds),
                    LEASE_LAB: this.dir,
                    LAB_NODE: node,
                    ...options.env,
                },
            });
            let stderr = "";
            child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
            // A bound of its own: a script that outlives its waits is killed and reported as such.
            const killer = setTimeout(() => child.kill("SIGKILL"), (options.waitSeconds + 30) * 1000);
            child.on("error", reject);
            child.on("close", (status) => {
                clearTimeout(killer);
                resolve({ node, status, stderr, startedAt, endedAt: Date.now() });
            });
        });
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Time intervals that overlap, as pairs of labels, and the smallest gap between consecutive ones (ms). */
export function overlaps(intervals: readonly { readonly label: string; readonly from: number; readonly to: number }[]): {
    readonly overlapping: string[];
    readonly smallestGapMs: number;
} {
    const sorted = [...intervals].sort((a, b) => a.from - b.from);
    const overlapping: string[] = [];
    let smallestGapMs = Infinity;
    for (let i = 1; i < sorted.length; i++) {
        const gap = sorted[i].from - sorted[i - 1].to;
        smallestGapMs = Math.min(smallestGapMs, gap);
        for (let j = 0; j < i; j++) if (sorted[i].from < sorted[j].to) overlapping.push(`${sorted[j].label} / ${sorted[i].label}`);
    }
    return { overlapping, smallestGapMs };
}
