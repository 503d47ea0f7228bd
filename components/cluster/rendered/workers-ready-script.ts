import { bash, HELPERS, renderScript, rootedPath, SYSTEM_PATHS, TEST_ROOT_SETTING, validatePositiveSeconds } from "./node-scripts-shell";

/**
 * Bring-up waits this long for the workers: their VMs boot and prepare themselves (up to
 * NODE_PREPARED_WAIT_SECONDS, 15 min) and join, and they turn Ready only once Cilium, installed
 * in parallel, runs on them.
 */
export const WORKERS_READY_WAIT_SECONDS = 1800;

export interface WorkersReadyScriptInput {
    /** Ready, schedulable workers to wait for; 0 waits for none (the gate passes at once). */
    readonly minReadyWorkers: number;
    /** Default WORKERS_READY_WAIT_SECONDS. */
    readonly waitSeconds?: number;
}

/**
 * Waits (bounded) on the first control plane until at least `minReadyWorkers` nodes can take an
 * ordinary pod: Ready, not cordoned, and without a NoSchedule or NoExecute taint (control planes
 * and dedicated pools carry one, as does a node that is not Ready yet). Prints the count it saw.
 */
export function renderWorkersReadyScript(input: WorkersReadyScriptInput): string {
    const { minReadyWorkers } = input;
    if (!Number.isSafeInteger(minReadyWorkers) || minReadyWorkers < 0) {
        throw new Error(`minReadyWorkers must be a whole number, 0 or more, got ${minReadyWorkers}`);
    }
    const waitSeconds = input.waitSeconds ?? WORKERS_READY_WAIT_SECONDS;
    validatePositiveSeconds("waitSeconds", waitSeconds);
    return renderScript({
        name: "workers-ready",
        purpose: [
            "Waits until the cluster has enough Ready, schedulable workers for the platform's releases.",
            "Runs as root over SSH on the first control plane (the admin kubeconfig), after kubeadm init.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig),
            `readonly MIN_READY_WORKERS=${minReadyWorkers}`,
            `readonly WAIT_SECONDS=${waitSeconds}`,
        ],
        helpers: [
            HELPERS.waits,
            HELPERS.kubectl,
            bash`
# schedulable_workers: how many nodes an ordinary pod (no tolerations) can land on. One line per
# node (cordoned, taint effects, Ready status), counted by awk; fails when the API does not answer.
schedulable_workers() {
  kc get nodes -o jsonpath='{range .items[*]}{.spec.unschedulable}{"\t"}{.spec.taints[*].effect}{"\t"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    awk -F '\t' '
      {
        blocked = ($1 == "true")
        n = split($2, effects, " ")
        for (i = 1; i <= n; i++) if (effects[i] == "NoSchedule" || effects[i] == "NoExecute") blocked = 1
        if (!blocked && $3 == "True") count++
      }
      END { print count + 0 }'
}`,
        ],
        body: bash`
main() {
  local ready=0 seen=-1 deadline
  deadline=$((SECONDS + $(wait_limit "$WAIT_SECONDS")))
  while :; do
    # The API may not answer yet (or briefly): that counts as none, and the wait goes on.
    ready=$(schedulable_workers 2>/dev/null) || ready=0
    [ "$ready" -ge "$MIN_READY_WORKERS" ] && break
    [ "$SECONDS" -lt "$deadline" ] ||
      die "gave up after $(wait_limit "$WAIT_SECONDS")s: $ready of $MIN_READY_WORKERS schedulable workers Ready (kubectl get nodes shows which are missing or tainted)"
    if [ "$ready" -ne "$seen" ]; then
      log "$ready of $MIN_READY_WORKERS schedulable workers Ready; waiting"
      seen=$ready
    fi
    sleep 10
  done
  echo "$ready schedulable workers Ready ($MIN_READY_WORKERS needed)"
}

main "$@"`,
    });
}
