import { bash, HELPERS, NODE_PATHS, renderScript, rootedPath, SYSTEM_PATHS, TEST_ROOT_SETTING } from "./node-scripts-shell";

/** How the config commands wait for the VM's startup script to install haproxy. */
export const HAPROXY_PREPARED_WAIT_SECONDS = 600;

/**
 * The two files HAProxy loads, in this order (see HaproxyConfigFiles), and the systemd drop-in
 * that makes the Debian/Ubuntu package's service load the second. The package's unit runs
 * `haproxy -Ws -f $CONFIG -p $PIDFILE $EXTRAOPTS` (its reload check the same with `-c`), with
 * CONFIG=/etc/haproxy/haproxy.cfg and EXTRAOPTS="-S /run/haproxy-master.sock"; the drop-in keeps
 * that master socket and appends `-f ingress.cfg`.
 */
export const HAPROXY_FILES = {
    api: SYSTEM_PATHS.haproxyConfig,
    ingress: "/etc/haproxy/ingress.cfg",
    dropIn: "/etc/systemd/system/haproxy.service.d/boutique-ingress.conf",
    /**
     * Written with the drop-in, removed by the restart that loads it: a run that fails in between
     * leaves it, so the next run restarts too. Under /run: a reboot starts haproxy with the drop-in.
     */
    restartPending: "/run/boutique/haproxy-restart-pending",
} as const;

/** Which of the two files a config command owns. */
export type HaproxyConfigPart = "api" | "ingress";

// Names the path from before the split by layer on purpose: changing it rewrites every deployed node's copy.
export const HAPROXY_DROP_IN = `# Rendered by components/node-scripts-haproxy.ts: haproxy loads the ingress backends after haproxy.cfg.
[Service]
Environment="EXTRAOPTS=-S /run/haproxy-master.sock -f ${HAPROXY_FILES.ingress}"
`;

/** What ensure_layout reads. */
const LAYOUT_SETTINGS = [
    rootedPath("INGRESS_CONFIG", HAPROXY_FILES.ingress),
    rootedPath("DROP_IN", HAPROXY_FILES.dropIn),
    rootedPath("RESTART_PENDING", HAPROXY_FILES.restartPending),
];

/**
 * Shared by the startup script and both config commands: a VM prepared by an older startup
 * script (which ran only at its first boot) gets the two-file layout from its next config command.
 */
const LAYOUT_HELPER = bash`
# ensure_layout: the drop-in that loads ingress.cfg, and an ingress.cfg (a comment until the
# ingress command writes it) so that haproxy starts before that command has run. On a reload the
# running master re-executes itself with the arguments it was started with, so only a restart
# loads the second file: a new drop-in leaves RESTART_PENDING until restart_haproxy has run, and
# restart_needed says so, also to a run after one that failed before its restart.
ensure_layout() {
  if [ ! -f "$INGRESS_CONFIG" ]; then
    install -d -m 0755 "$(dirname "$INGRESS_CONFIG")"
    echo "# No ingress backends yet: the ingress config command writes this file." >"$INGRESS_CONFIG.tmp"
    chmod 0644 "$INGRESS_CONFIG.tmp"
    mv -f -T "$INGRESS_CONFIG.tmp" "$INGRESS_CONFIG"
  fi
  if [ -f "$DROP_IN" ] && cmp -s "$DROP_IN" - <<'EOF'
${HAPROXY_DROP_IN.trimEnd()}
EOF
  then
    return 0
  fi
  install -d -m 0755 "$(dirname "$DROP_IN")" "$(dirname "$RESTART_PENDING")"
  : >"$RESTART_PENDING"
  cat >"$DROP_IN.tmp" <<'EOF'
${HAPROXY_DROP_IN.trimEnd()}
EOF
  chmod 0644 "$DROP_IN.tmp"
  mv -f -T "$DROP_IN.tmp" "$DROP_IN"
  systemctl daemon-reload
}

restart_needed() { [ -f "$RESTART_PENDING" ]; }

# restart_haproxy: a restart that loads the drop-in; the pending mark goes only once it succeeded.
restart_haproxy() {
  systemctl restart haproxy || return 1
  rm -f "$RESTART_PENDING"
}`;

/** Startup script of the HAProxy VM (root, every boot, idempotent). */
export function renderPrepareHaproxyScript(): string {
    return renderScript({
        name: "prepare-haproxy",
        purpose: [
            "Installs HAProxy (Ubuntu's package) on the entry-point VM, makes its service load both config",
            "files (haproxy.cfg, then ingress.cfg) and enables it. The GCE guest agent runs it as root at",
            "every boot; once the marker is written, later boots skip the install.",
        ],
        settings: [TEST_ROOT_SETTING, rootedPath("MARKER", NODE_PATHS.haproxyPrepared), ...LAYOUT_SETTINGS],
        helpers: [HELPERS.apt, LAYOUT_HELPER],
        body: bash`
if [ -f "$MARKER" ] && command -v haproxy >/dev/null 2>&1; then
  log "haproxy already installed"
else
  apt_get update
  apt_get install --no-install-recommends haproxy
fi
ensure_layout
if restart_needed; then
  # The package started haproxy without the second file.
  restart_haproxy
fi
# Enabled so that it comes back with the last applied config after a reboot.
systemctl enable --now haproxy
install -d -m 0755 "$(dirname "$MARKER")"
# The marker tells the config commands (which wait for it) that haproxy is installed.
haproxy -v >"$MARKER.tmp"
chmod 0644 "$MARKER.tmp"
mv -f -T "$MARKER.tmp" "$MARKER"
log "haproxy prepared"`,
    });
}

/**
 * Applies one of the two config files from stdin (run through asRootCommand). The new file is
 * checked together with the other live one, in load order (`haproxy -c -f haproxy.cfg -f
 * ingress.cfg`): a bad file never replaces a good one, and neither file can break the other.
 * A reload that fails puts the previous file back; any failure leaves what the next run needs to
 * finish the job (it reloads even an identical file, and restarts while a new drop-in is pending).
 */
export function renderApplyHaproxyConfigScript(part: HaproxyConfigPart): string {
    const live = part === "api" ? "$API_CONFIG" : "$INGRESS_CONFIG";
    return renderScript({
        name: `apply-haproxy-${part}-config`,
        purpose: [
            `Replaces ${HAPROXY_FILES[part]} with the file on stdin and reloads HAProxy, only if \`haproxy -c\``,
            "accepts it together with the other live file. Runs as root over SSH; safe to re-run after a failure.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            rootedPath("API_CONFIG", HAPROXY_FILES.api),
            ...LAYOUT_SETTINGS,
            `readonly LIVE_CONFIG="${live}"`,
            rootedPath("MARKER", NODE_PATHS.haproxyPrepared),
            `readonly PREPARED_WAIT_SECONDS=${HAPROXY_PREPARED_WAIT_SECONDS}`,
        ],
        helpers: [
            HELPERS.waits,
            LAYOUT_HELPER,
            bash`
haproxy_active() { systemctl is-active --quiet haproxy; }

# activate: a reload (which starts a stopped haproxy), or the restart a new drop-in needs.
activate() {
  if restart_needed; then restart_haproxy; else systemctl reload-or-restart haproxy; fi
}

# Installs <file> as the live config (root-owned, 0644) with an atomic rename.
install_config() {
  chmod 0644 "$1"
  if [ "$(id -u)" -eq 0 ]; then chown root:root "$1"; fi
  mv -f -T "$1" "$LIVE_CONFIG"
}

# check_config <candidate>: haproxy -c on both files as the service loads them, <candidate> in place
# of this command's own file (the other one only once it exists).
check_config() {
  local file
  local -a args=()
  for file in "$API_CONFIG" "$INGRESS_CONFIG"; do
    if [ "$file" = "$LIVE_CONFIG" ]; then
      args+=(-f "$1")
    elif [ -f "$file" ]; then
      args+=(-f "$file")
    fi
  done
  haproxy -c "\${args[@]}"
}`,
        ],
        body: bash`
new_config=""
previous=""
trap 'rm -f "$new_config" "$previous"' EXIT

main() {
  local output
  # The VM's startup script installs haproxy; on a fresh VM this command may start first.
  wait_for_file "$MARKER" "$PREPARED_WAIT_SECONDS" "the startup script to install haproxy"
  ensure_layout
  # Written next to the live config so that installing it is a rename.
  new_config=$(mktemp "$LIVE_CONFIG.new.XXXXXX") || die "cannot create a temp file next to $LIVE_CONFIG"
  cat >"$new_config"
  [ -s "$new_config" ] || die "no config on stdin; $LIVE_CONFIG left unchanged"
  if ! output=$(check_config "$new_config" 2>&1); then
    printf '%s\n' "$output" >&2
    die "haproxy -c rejected the new config; $LIVE_CONFIG left unchanged"
  fi
  # Reloaded even when the file is the live one: a run that failed after installing it and
  # before the reload left haproxy on the older file. (A reload keeps connections.)
  if [ -f "$LIVE_CONFIG" ]; then
    previous=$(mktemp "$LIVE_CONFIG.previous.XXXXXX")
    cp -p "$LIVE_CONFIG" "$previous"
  fi
  install_config "$new_config"
  systemctl enable --quiet haproxy
  if ! activate || ! retry_for 30 haproxy_active; then
    if [ -n "$previous" ]; then
      install_config "$previous"
      activate || true
      die "haproxy did not run with the new config (see journalctl -u haproxy); the previous config is back"
    fi
    die "haproxy did not run with the new config (see journalctl -u haproxy)"
  fi
  log "$LIVE_CONFIG applied and haproxy running with it"
}

main "$@"`,
    });
}
