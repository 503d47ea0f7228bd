import { scheduleProblem } from "../../../config/etcd-backup-config";
import { INSTALL_FILES_FROM_STDIN, NodeFile } from "./node-files";
import { ETCD_BACKUP_COMMAND, ETCD_BACKUP_STATE_DIR, ETCD_RESTORE_COMMAND } from "./node-scripts-etcd-snapshot";
import { SCHEDULED_REASON } from "./node-scripts-etcd-backup";
import { bash, renderScript, rootedPath, shellQuote, TEST_ROOT_SETTING } from "./node-scripts-shell";

/**
 * The systemd units that run the etcd backup on a schedule, and the script that installs them
 * with both node scripts on a control plane.
 */

export const ETCD_BACKUP_UNIT = "boutique-etcd-backup";
const UNIT_DIR = "/etc/systemd/system";
export const ETCD_BACKUP_UNIT_PATHS = {
    service: `${UNIT_DIR}/${ETCD_BACKUP_UNIT}.service`,
    timer: `${UNIT_DIR}/${ETCD_BACKUP_UNIT}.timer`,
} as const;

/** Control planes spread their runs over this window, so three uploads never start in the same second. */
export const RANDOMIZED_DELAY_SECONDS = 300;

function checkSchedule(schedule: string): void {
    const problem = scheduleProblem(schedule);
    if (problem) throw new Error(`etcd backup schedule ${JSON.stringify(schedule)} ${problem}`);
}

export function renderEtcdBackupService(): string {
    // Names the path from before the split by layer on purpose: changing it rewrites every deployed node's copy.
    return `# Rendered by components/etcd-backup-units.ts: change it there, not on the node.
[Unit]
Description=Snapshot etcd to the cluster's backup bucket
Documentation=file://${ETCD_BACKUP_COMMAND}
Wants=network-online.target
After=network-online.target containerd.service kubelet.service

[Service]
Type=oneshot
ExecStart=${ETCD_BACKUP_COMMAND} ${SCHEDULED_REASON}
# A snapshot competes with etcd for disk and CPU: let etcd win.
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
TimeoutStartSec=1h
NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=yes
`;
}

export function renderEtcdBackupTimer(schedule: string): string {
    checkSchedule(schedule);
    return `# Rendered by components/etcd-backup-units.ts: change it there, not on the node.
[Unit]
Description=Scheduled etcd snapshots (${schedule})

[Timer]
OnCalendar=${schedule}
# A run missed while the node was down happens at the next boot.
Persistent=true
RandomizedDelaySec=${RANDOMIZED_DELAY_SECONDS}
AccuracySec=1min

[Install]
WantedBy=timers.target
`;
}

/** Scripts and units the installer receives on stdin. */
export function etcdBackupFiles(contents: { backupScript: string; restoreScript: string; schedule: string }): NodeFile[] {
    return [
        // The bundle writes 0600/0644 only; the installer makes the scripts executable.
        { path: ETCD_BACKUP_COMMAND, mode: "0644", content: contents.backupScript },
        { path: ETCD_RESTORE_COMMAND, mode: "0644", content: contents.restoreScript },
        { path: ETCD_BACKUP_UNIT_PATHS.service, mode: "0644", content: renderEtcdBackupService() },
        { path: ETCD_BACKUP_UNIT_PATHS.timer, mode: "0644", content: renderEtcdBackupTimer(contents.schedule) },
    ];
}

/**
 * Installs the bundle on stdin (both scripts, both units), checks the schedule with the node's
 * own systemd, and (re)starts the timer so a changed schedule applies at once. Re-running it
 * with the same bundle changes nothing that matters; it never takes a backup itself (a new
 * bucket grant may take minutes to reach GCS).
 */
export function renderInstallEtcdBackupScript(schedule: string): string {
    checkSchedule(schedule);
    return renderScript({
        name: "install-etcd-backup",
        purpose: ["Installs the etcd backup and restore scripts and the backup timer on a control plane.", "Runs as root over SSH; stdin is the file bundle."],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            rootedPath("BACKUP", ETCD_BACKUP_COMMAND),
            rootedPath("RESTORE", ETCD_RESTORE_COMMAND),
            rootedPath("STATE_DIR", ETCD_BACKUP_STATE_DIR),
            rootedPath("TIMER_FILE", ETCD_BACKUP_UNIT_PATHS.timer),
            `readonly TIMER=${ETCD_BACKUP_UNIT}.timer`,
            `readonly SCHEDULE=${shellQuote(schedule)}`,
        ],
        helpers: [INSTALL_FILES_FROM_STDIN],
        body: bash`
main() {
  BUNDLE_ROOT="$ROOT" install_files_from_stdin || die "could not install the files from stdin"
  if [ ! -f "$BACKUP" ] || [ ! -f "$RESTORE" ] || [ ! -f "$TIMER_FILE" ]; then die "the bundle lacked a script or the timer"; fi
  chmod 0755 "$BACKUP" "$RESTORE"
  install -d -m 0700 "$STATE_DIR"
  systemd-analyze calendar "$SCHEDULE" >/dev/null || die "this node's systemd refuses the schedule '$SCHEDULE'"
  systemctl daemon-reload
  systemctl enable "$TIMER"
  # restart, not start: an active timer keeps its old schedule until restarted.
  systemctl restart "$TIMER"
  log "backup timer active: $(systemctl show -p NextElapseUSecRealtime --value "$TIMER" 2>/dev/null || echo '?')"
}

main`,
    });
}
