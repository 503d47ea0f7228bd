import { KubernetesRelease } from "../../../config/kubernetes-release";
import { PREPARE_NODE_FILES, renderPrepareNodeUnit } from "./node-prepare-unit";
import { renderPrepareNodeScript } from "./node-scripts-prepare";
import { INSTALL_IF_CHANGED } from "./node-scripts-prepare-steps";
import { bash, renderScript, rootedPath, TEST_ROOT_SETTING } from "./node-scripts-shell";

/** The here-document delimiters that carry the two files inside the startup script. */
const SCRIPT_DELIMITER = "BOUTIQUE_PREPARE_NODE_SCRIPT";
const UNIT_DELIMITER = "BOUTIQUE_PREPARE_NODE_UNIT";

/** `install_if_changed <path> <mode>` fed `content` byte for byte by a quoted here-document; `changed=yes` when it was replaced. */
function installIfChanged(pathVariable: string, mode: string, delimiter: string, content: string): string {
    if (content.split("\n").includes(delimiter)) {
        throw new Error(`the startup script carries a file containing the line "${delimiter}", the delimiter of its here-document; rename it`);
    }
    const body = content.endsWith("\n") ? content : `${content}\n`;
    return `install_if_changed "$${pathVariable}" ${mode} <<'${delimiter}' && changed=yes\n${body}${delimiter}`;
}

/**
 * The startup script of every Kubernetes node (GCE metadata `startup-script`, run by the guest
 * agent as root at every boot). It does not prepare the node itself: it installs the preparation
 * (renderPrepareNodeScript) and its systemd unit (renderPrepareNodeUnit), then starts the unit
 * without waiting, so a failed attempt is retried by systemd instead of waiting for a reboot.
 * Files are rewritten only when their content changed; a reboot of an unchanged node changes none.
 */
export function renderPrepareNodeStartupScript(input: { readonly kubernetesVersion: KubernetesRelease }): string {
    const prepareScript = renderPrepareNodeScript(input);
    const unit = renderPrepareNodeUnit();
    return renderScript({
        name: "install-prepare-node",
        purpose: [
            `Installs this node's preparation as ${PREPARE_NODE_FILES.script} and the systemd unit`,
            `${PREPARE_NODE_FILES.unitName} that runs it until it succeeds, then starts the unit without waiting.`,
            "The GCE guest agent runs it as root at every boot. Progress: systemctl status and the status file.",
        ],
        settings: [
            TEST_ROOT_SETTING,
            rootedPath("PREPARE_SCRIPT", PREPARE_NODE_FILES.script),
            rootedPath("PREPARE_UNIT_FILE", PREPARE_NODE_FILES.unit),
            `readonly PREPARE_UNIT=${PREPARE_NODE_FILES.unitName}`,
        ],
        helpers: [INSTALL_IF_CHANGED],
        body: bash`
main() {
  local changed=""
  install -d -m 0755 "$(dirname "$PREPARE_SCRIPT")" "$(dirname "$PREPARE_UNIT_FILE")"
  ${installIfChanged("PREPARE_SCRIPT", "0755", SCRIPT_DELIMITER, prepareScript)}
  ${installIfChanged("PREPARE_UNIT_FILE", "0644", UNIT_DELIMITER, unit)}
  if [ -n "$changed" ]; then
    systemctl daemon-reload
  fi
  systemctl enable --quiet "$PREPARE_UNIT"
  if [ -n "$changed" ]; then
    # New content runs now, even where an older preparation already ran this boot (a restart
    # stops an attempt in progress; the next one recovers dpkg).
    systemctl restart --no-block "$PREPARE_UNIT"
    log "installed $PREPARE_UNIT and (re)started it; progress: systemctl status $PREPARE_UNIT"
  else
    # Unchanged: the unit's own boot start (WantedBy=multi-user.target) is the run; this is a no-op
    # unless it was stopped.
    systemctl start --no-block "$PREPARE_UNIT"
    log "$PREPARE_UNIT unchanged; started if it was not running"
  fi
}

main "$@"`,
    });
}
