import { PREPARE_NODE_FILES } from "./node-prepare-unit";
import { bash, rootedPath } from "./node-scripts-shell";

/**
 * The preparation's progress, shared by the script that writes it (node-scripts-prepare.ts) and
 * the init/join scripts that wait for it: which step, which attempt, the last error and when.
 *
 * The file lives in /run: it describes this boot's attempts (a reboot starts counting again), and
 * a reboot of a prepared node writes nothing to its disk.
 */
export const PREPARE_STATUS_PATH = "/run/boutique/node-prepare-status";

/** The status fields, one `key=value` line each, in this order. */
export const PREPARE_STATUS_FIELDS = ["state", "step", "attempt", "error", "time"] as const;

/**
 * The prepare script's `log` and `die` (in place of HELPERS.messages): the same output, and die's
 * message is kept for the status file.
 */
export const PREPARE_STATUS_MESSAGES = bash`
# Progress and errors go to stderr (the unit's journal); the last error also goes to the status file.
STATUS_ERROR=""
log() { echo "$SCRIPT_NAME: $*" >&2; }
die() {
  echo "$SCRIPT_NAME: error: $*" >&2
  STATUS_ERROR=$*
  exit 1
}`;

/**
 * Bash for the prepare script: `begin_attempt`, then `step <name>` before each step. An exit
 * records the outcome: `prepared`, or `failed` with the step and the error (die's message, or the
 * command that failed under set -e). Needs PREPARE_STATUS_MESSAGES, PREPARE_STATUS and WORKDIR,
 * and `set -o errtrace` so that failures inside functions reach the ERR trap.
 */
export const PREPARE_STATUS_HELPERS = bash`
STATUS_STEP=starting
ATTEMPT=1

# write_status <state>: replaces the status file in one rename, so a reader never sees half of it.
write_status() {
  local tmp
  install -d -m 0755 "$(dirname "$PREPARE_STATUS")" && tmp=$(mktemp "$PREPARE_STATUS.XXXXXX") || return 1
  printf 'state=%s\nstep=%s\nattempt=%s\nerror=%s\ntime=%s\n' \
    "$1" "$STATUS_STEP" "$ATTEMPT" "\${STATUS_ERROR//$'\n'/ }" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp" &&
    mv -f "$tmp" "$PREPARE_STATUS"
}

# Attempts are counted per boot (the file is in /run); a finished run starts again at 1.
begin_attempt() {
  local previous=0
  if [ -f "$PREPARE_STATUS" ] && ! grep -qx 'state=prepared' "$PREPARE_STATUS"; then
    previous=$(sed -n 's/^attempt=\([0-9][0-9]*\)$/\1/p' "$PREPARE_STATUS")
  fi
  ATTEMPT=$((\${previous:-0} + 1))
  write_status running || log "warning: cannot write $PREPARE_STATUS"
}

step() {
  STATUS_STEP=$1
  log "attempt $ATTEMPT: $1"
  write_status running || log "warning: cannot write $PREPARE_STATUS"
}

# A command that failed under set -e (no die message): name it.
note_failed_command() {
  [ -n "$STATUS_ERROR" ] || STATUS_ERROR="'$1' failed with exit status $2"
}

finish_attempt() {
  local code=$1
  rm -rf "$WORKDIR"
  if [ "$code" -eq 0 ]; then
    write_status prepared || log "warning: cannot write $PREPARE_STATUS"
    return
  fi
  [ -n "$STATUS_ERROR" ] || STATUS_ERROR="exited with status $code"
  write_status failed || log "warning: cannot write $PREPARE_STATUS"
  log "attempt $ATTEMPT failed in step $STATUS_STEP: $STATUS_ERROR (systemd retries it with a growing delay)"
}`;

/** Settings the waiting scripts add (they define ROOT, PREPARED and PREPARED_WAIT_SECONDS already). */
export const PREPARED_NODE_WAIT_SETTINGS: readonly string[] = [
    rootedPath("PREPARE_STATUS", PREPARE_STATUS_PATH),
    `readonly PREPARE_UNIT=${PREPARE_NODE_FILES.unitName}`,
];

/**
 * `wait_for_prepared_node`: waits (bounded, HELPERS.waits' wait_limit) for the PREPARED marker,
 * logging every change of the preparation's status; on timeout it fails with the last status and
 * the end of the unit's journal, so a failed `up` says why the node never became ready.
 */
export const WAIT_FOR_PREPARED_NODE = bash`
# prepare_status_line: the preparation's status on one line, empty before its first attempt.
prepare_status_line() {
  local key value state="" step="" attempt="" error="" time=""
  [ -f "$PREPARE_STATUS" ] || return 0
  while IFS='=' read -r key value; do
    case $key in
      state) state=$value ;;
      step) step=$value ;;
      attempt) attempt=$value ;;
      error) error=$value ;;
      time) time=$value ;;
    esac
  done <"$PREPARE_STATUS"
  echo "attempt $attempt, step $step: $state\${error:+ ($error)} at $time"
}

wait_for_prepared_node() {
  # seen starts as a newline, which no status line holds, so the first poll is always logged.
  local limit deadline status seen=$'\n'
  limit=$(wait_limit "$PREPARED_WAIT_SECONDS")
  deadline=$((SECONDS + limit))
  until [ -f "$PREPARED" ]; do
    status=$(prepare_status_line)
    if [ "$status" != "$seen" ]; then
      log "node preparation: \${status:-not started yet}"
      seen=$status
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the end of $PREPARE_UNIT's journal:"
      journalctl --unit "$PREPARE_UNIT" --lines 20 --no-pager >&2 || log "(journalctl failed)"
      die "gave up after \${limit}s waiting for this node's preparation ($PREPARE_UNIT); last status: \${status:-none (the unit never started)}"
    fi
    sleep 5
  done
}`;
