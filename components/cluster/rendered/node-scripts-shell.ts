/**
 * What every node script shares: the paths they agree on, the bash helpers they include, input
 * checks, and the wrapper that runs a script as root over SSH.
 */

/** Files the node scripts and the components agree on. */
export const NODE_PATHS = {
    /** Written last by the node's startup script: its content is the installed kubeadm version. */
    prepared: "/var/lib/boutique/node-prepared",
    /** Written by the HAProxy VM's startup script once haproxy is installed. */
    haproxyPrepared: "/var/lib/boutique/haproxy-prepared",
    /** kubeadm's full output (it holds secrets: root-only files). */
    logDir: "/var/log/boutique",
} as const;

/** Files kubeadm and the haproxy package own; the scripts only read or replace them. */
export const SYSTEM_PATHS = {
    adminKubeconfig: "/etc/kubernetes/admin.conf",
    kubeletKubeconfig: "/etc/kubernetes/kubelet.conf",
    haproxyConfig: "/etc/haproxy/haproxy.cfg",
} as const;

/**
 * `String.raw` for bash: backslashes stay as written and `\${` becomes bash's `${`, while
 * `${expr}` interpolates TypeScript values (only validated inputs and constants).
 */
export function bash(strings: TemplateStringsArray, ...values: readonly (string | number)[]): string {
    return String.raw({ raw: strings.raw.map((part) => part.replace(/\\\$\{/g, "${")) }, ...values);
}

/** Quotes `value` as one bash word. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function validateNodeName(nodeName: string): void {
    if (!DNS_LABEL.test(nodeName)) {
        throw new Error(
            `nodeName ${JSON.stringify(nodeName)} must be a DNS label: 1 to 63 lowercase letters, digits or "-", starting and ending with a letter or digit`,
        );
    }
}

export function validatePositiveSeconds(name: string, value: number): void {
    if (!Number.isSafeInteger(value) || value <= 0) {
        throw new Error(`${name} must be a positive whole number of seconds, got ${value}`);
    }
}

/** The parts of a script; `render` adds the shebang, strict mode and helpers in a fixed order. */
export interface ScriptParts {
    /** Also the prefix of every message the script prints. */
    readonly name: string;
    /** Comment lines that say what the script is for and where it runs. */
    readonly purpose: readonly string[];
    /** Lines right after `set -euo pipefail` (readonly settings). */
    readonly settings: readonly string[];
    /** Helper definitions, each a block of bash. */
    readonly helpers: readonly string[];
    /** Replaces HELPERS.messages: `log` and `die` with the same output that also record the error (node-scripts-prepare-status.ts). */
    readonly messages?: string;
    readonly body: string;
}

export function renderScript(parts: ScriptParts): string {
    const blocks = [
        // Names the path from before the split by layer on purpose: changing it rewrites every deployed node's copy.
        [
            "#!/usr/bin/env bash",
            ...parts.purpose.map((line) => `# ${line}`.trimEnd()),
            "# Rendered by components/node-scripts*.ts: change it there, not on the node.",
        ].join("\n"),
        ["set -euo pipefail", `readonly SCRIPT_NAME=${shellQuote(parts.name)}`, ...parts.settings].join("\n"),
        parts.messages ?? HELPERS.messages,
        ...parts.helpers,
        parts.body,
    ];
    return `${blocks.map((block) => block.trim()).join("\n\n")}\n`;
}

/** The prefix of every absolute path in scripts that tests run: empty in production. */
export const TEST_ROOT_SETTING = bash`
# BOUTIQUE_TEST_ROOT and BOUTIQUE_TEST_WAIT_SECONDS are for tests only (a temp dir instead of /,
# no waiting). Production never sets them: sudo's env_reset drops the caller's environment.
readonly ROOT="\${BOUTIQUE_TEST_ROOT:-}"`.trim();

/** `readonly NAME="$ROOT/abs/path"`; paths are constants of safe characters. */
export function rootedPath(name: string, path: string): string {
    return `readonly ${name}="$ROOT${path}"`;
}

/** Bash helpers; each script includes the ones it uses. */
export const HELPERS = {
    messages: bash`
# Progress and errors go to stderr: stdout is reserved for a script's result.
log() { echo "$SCRIPT_NAME: $*" >&2; }
die() {
  echo "$SCRIPT_NAME: error: $*" >&2
  exit 1
}`,

    waits: bash`
# Every wait is bounded: the production limit, or BOUTIQUE_TEST_WAIT_SECONDS in tests.
wait_limit() { echo "\${BOUTIQUE_TEST_WAIT_SECONDS:-$1}"; }

# retry_for <seconds> <command...>: runs the command every 5 s until it succeeds; 1 on timeout.
retry_for() {
  local deadline
  deadline=$((SECONDS + $(wait_limit "$1")))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 5
  done
}

# wait_for_file <file> <seconds> <what>: a marker another script (the startup script) writes.
wait_for_file() {
  retry_for "$2" test -f "$1" || die "gave up after $(wait_limit "$2")s waiting for $3 ($1)"
}`,

    kubeadmLogs: bash`
# kubeadm's output can hold bootstrap tokens and certificate keys, and Pulumi keeps what we
# print: full output goes to a root-only log, and only a redacted tail is shown.
start_log() {
  install -d -m 0700 "$LOG_DIR"
  touch "$1"
  chmod 0600 "$1"
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) $SCRIPT_NAME" >>"$1"
}

print_redacted_tail() {
  tail -n 40 "$1" |
    sed -E -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<redacted-token>/g' -e 's/[0-9A-Fa-f]{64}/<redacted-key>/g' >&2 || true
}`,

    apt: bash`
# The first boot races unattended-upgrades for the dpkg lock, and downloads through Cloud NAT can
# fail transiently: wait for the lock (bounded) and retry a few times, then give up loudly.
apt_get() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=180 -o Acquire::Retries=3 \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; then
      return 0
    fi
    log "apt-get $* failed (attempt $attempt of 5); retrying in 15 s"
    sleep 15
  done
  die "apt-get $* failed 5 times"
}`,

    kubectl: bash`
kc() { kubectl --kubeconfig "$ADMIN_CONF" "$@"; }`,
} as const;

/** The here-document delimiter `asRootCommand` wraps scripts in. */
export const ROOT_SCRIPT_DELIMITER = "BOUTIQUE_SCRIPT";

/** Linux limits one argument to 128 KiB (MAX_ARG_STRLEN); the script travels as one. */
const MAX_ROOT_SCRIPT_BYTES = 100_000;

/**
 * The remote.Command string that runs `script` as root: `sudo -n bash -c "<script>"`, where the
 * script comes from a quoted here-document inside a command substitution. The here-document
 * feeds only `cat`, so the command's own stdin (files, secrets) still reaches the script; `-n`
 * fails at once instead of waiting for a password prompt. The script is on sudo's command line
 * (sudo logs it), so scripts hold no secrets: those arrive on stdin.
 */
export function asRootCommand(script: string): string {
    if (script.includes(ROOT_SCRIPT_DELIMITER)) {
        throw new Error(
            `asRootCommand: the script contains "${ROOT_SCRIPT_DELIMITER}", the delimiter of the here-document that carries it; rename it in the script`,
        );
    }
    const bytes = Buffer.byteLength(script, "utf8");
    if (bytes > MAX_ROOT_SCRIPT_BYTES) {
        throw new Error(`asRootCommand: the script is ${bytes} bytes; one command-line argument must stay under ${MAX_ROOT_SCRIPT_BYTES}`);
    }
    const body = script.endsWith("\n") ? script : `${script}\n`;
    return `sudo -n bash -c "$(cat <<'${ROOT_SCRIPT_DELIMITER}'\n${body}${ROOT_SCRIPT_DELIMITER}\n)" boutique-node-script`;
}
