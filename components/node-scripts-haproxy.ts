import { bash, HELPERS, NODE_PATHS, renderScript, rootedPath, SYSTEM_PATHS, TEST_ROOT_SETTING } from "./node-scripts-shell";

/** How long the config command waits for the VM's startup script to install haproxy. */
export const HAPROXY_PREPARED_WAIT_SECONDS = 600;

/** Startup script of the HAProxy VM (root, every boot, idempotent). */
export function renderPrepareHaproxyScript(): string {
    return renderScript({
        name: "prepare-haproxy",
        purpose: [
            "Installs HAProxy (Ubuntu's package) on the entry-point VM and enables it. The GCE guest agent",
            "runs it as root at every boot; once the marker is written, later boots skip the install.",
        ],
        settings: [`readonly MARKER=${NODE_PATHS.haproxyPrepared}`],
        helpers: [HELPERS.apt],
        body: bash`
if [ -f "$MARKER" ] && command -v haproxy >/dev/null 2>&1; then
  log "haproxy already installed"
else
  apt_get update
  apt_get install --no-install-recommends haproxy
fi
# Enabled so that it comes back with the last applied config after a reboot.
systemctl enable --now haproxy
install -d -m 0755 "$(dirname "$MARKER")"
# The marker tells the config command (which waits for it) that haproxy is installed.
haproxy -v >"$MARKER.tmp"
chmod 0644 "$MARKER.tmp"
mv -f -T "$MARKER.tmp" "$MARKER"
log "haproxy prepared"`,
    });
}

/**
 * Applies the haproxy.cfg on stdin (run through asRootCommand). The config is checked with
 * `haproxy -c` first: a bad config never replaces a good one. An identical config is not
 * reloaded; a reload that fails puts the previous config back.
 */
export function renderApplyHaproxyConfigScript(): string {
    return renderScript({
        name: "apply-haproxy-config",
        purpose: [
            "Replaces /etc/haproxy/haproxy.cfg with the config on stdin and reloads HAProxy, only if",
            "`haproxy -c` accepts it and it differs from the live one. Runs as root over SSH.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            rootedPath("LIVE_CONFIG", SYSTEM_PATHS.haproxyConfig),
            rootedPath("MARKER", NODE_PATHS.haproxyPrepared),
            `readonly PREPARED_WAIT_SECONDS=${HAPROXY_PREPARED_WAIT_SECONDS}`,
        ],
        helpers: [
            HELPERS.waits,
            bash`
haproxy_active() { systemctl is-active --quiet haproxy; }

# Installs <file> as the live config (root-owned, 0644) with an atomic rename.
install_config() {
  chmod 0644 "$1"
  if [ "$(id -u)" -eq 0 ]; then chown root:root "$1"; fi
  mv -f -T "$1" "$LIVE_CONFIG"
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
  # Written next to the live config so that installing it is a rename.
  new_config=$(mktemp "$LIVE_CONFIG.new.XXXXXX") || die "cannot create a temp file next to $LIVE_CONFIG"
  cat >"$new_config"
  [ -s "$new_config" ] || die "no haproxy.cfg on stdin; $LIVE_CONFIG left unchanged"
  if ! output=$(haproxy -c -f "$new_config" 2>&1); then
    printf '%s\n' "$output" >&2
    die "haproxy -c rejected the new config; $LIVE_CONFIG left unchanged"
  fi
  if [ -f "$LIVE_CONFIG" ] && cmp -s "$new_config" "$LIVE_CONFIG"; then
    log "haproxy.cfg unchanged; no reload"
    haproxy_active || systemctl start haproxy || die "haproxy is not running and does not start"
    return 0
  fi
  if [ -f "$LIVE_CONFIG" ]; then
    previous=$(mktemp "$LIVE_CONFIG.previous.XXXXXX")
    cp -p "$LIVE_CONFIG" "$previous"
  fi
  install_config "$new_config"
  systemctl enable --quiet haproxy
  if ! systemctl reload-or-restart haproxy || ! retry_for 30 haproxy_active; then
    if [ -n "$previous" ]; then
      install_config "$previous"
      systemctl reload-or-restart haproxy || true
      die "haproxy did not run with the new config (see journalctl -u haproxy); the previous config is back"
    fi
    die "haproxy did not run with the new config (see journalctl -u haproxy)"
  fi
  log "haproxy.cfg applied and haproxy reloaded"
}

main "$@"`,
    });
}
