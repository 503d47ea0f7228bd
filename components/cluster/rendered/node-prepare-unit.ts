/**
 * The systemd unit that runs a Kubernetes node's preparation (node-scripts-prepare.ts) until it
 * succeeds. The guest agent runs the startup script once per boot and never again, so a failed
 * apt download used to leave the node unprepared until the next reboot; systemd's restart logic
 * retries instead, with a bounded, growing delay, and never gives up.
 */

/** Where the startup script installs the preparation and its unit. */
export const PREPARE_NODE_FILES = {
    unitName: "boutique-prepare-node.service",
    unit: "/etc/systemd/system/boutique-prepare-node.service",
    script: "/usr/local/sbin/boutique-prepare-node",
} as const;

/**
 * How systemd retries a failed attempt. Delays grow geometrically from `restartSec` to
 * `restartMaxDelaySec` over `restartSteps` restarts (systemd 254+; Ubuntu 24.04 ships 255):
 * 15 s, 30 s, 60 s, then every 120 s. A flaky mirror is retried within seconds, an outage of
 * minutes costs at most two minutes after it ends, and a join waiting 900 s sees several tries.
 */
export const PREPARE_NODE_RESTART = {
    restartSec: 15,
    restartSteps: 3,
    restartMaxDelaySec: 120,
    /** One attempt may not hang forever (a stalled download): past this it counts as failed and is retried. */
    timeoutStartSec: 1800,
} as const;

/** The unit file, byte for byte as installed at PREPARE_NODE_FILES.unit. */
export function renderPrepareNodeUnit(): string {
    const restart = PREPARE_NODE_RESTART;
    return [
        // Names the path from before the split by layer on purpose: changing it rewrites every deployed node's copy.
        "# Rendered by components/node-prepare-unit.ts: change it there, not on the node.",
        "[Unit]",
        "Description=Prepare this node for Kubernetes (kernel settings, containerd, kubelet/kubeadm/kubectl)",
        // Package downloads need the network; network-online.target waits for it at boot.
        "Wants=network-online.target",
        "After=network-online.target",
        "# 0: no start rate limit, so the restarts below go on until an attempt succeeds.",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "# oneshot + RemainAfterExit: active (exited) once prepared, so a later start is a no-op.",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${PREPARE_NODE_FILES.script}`,
        "# Allowed for Type=oneshot (only always and on-success are refused); a timeout counts as a failure.",
        "Restart=on-failure",
        `RestartSec=${restart.restartSec}s`,
        `RestartSteps=${restart.restartSteps}`,
        `RestartMaxDelaySec=${restart.restartMaxDelaySec}s`,
        `TimeoutStartSec=${restart.timeoutStartSec}s`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}
