import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { scheduleProblem } from "../../../config/etcd-backup-config";
import {
    etcdBackupFiles,
    ETCD_BACKUP_UNIT_PATHS,
    renderEtcdBackupService,
    renderEtcdBackupTimer,
    renderInstallEtcdBackupScript,
} from "../../../components/cluster/rendered/etcd-backup-units";
import { encodeFileBundle } from "../../../components/cluster/rendered/node-files";
import { ETCD_BACKUP_COMMAND, ETCD_RESTORE_COMMAND } from "../../../components/cluster/rendered/node-scripts-etcd-backup";
import { callIndex, modeOf, withSandbox } from "../../support/scripts-sandbox";
import { requireTool } from "../../support/tools";

const ACCEPTED = [
    "hourly",
    "daily",
    "weekly",
    "*-*-* *:00:00",
    "*-*-* 02:30:00",
    "*-*-* 0/4:15",
    "Mon..Fri 03:00",
    "Sat,Sun *-*-* 04:00:00 UTC",
    "*-*-* *:0/15:00",
];
const REFUSED = ["minutely", "*-*-* *:*:00", "*-*-* 02:00:*", "every hour", "hourly; reboot", "$(reboot)", "*-*-* 02:00 Europe/Paris", ""];

describe("etcd backup units and installer", () => {
    it("accepts the schedules systemd reads and refuses the rest, naming why", () => {
        assert.deepEqual(
            ACCEPTED.filter((schedule) => scheduleProblem(schedule) !== undefined),
            [],
        );
        assert.deepEqual(
            REFUSED.filter((schedule) => scheduleProblem(schedule) === undefined),
            [],
        );
        assert.match(scheduleProblem("*-*-* *:*:00") ?? "", /must not fire every minute or second/);
        assert.throws(() => renderEtcdBackupTimer("minutely"), /etcd backup schedule "minutely" must be a systemd OnCalendar value/);
    });

    it("every accepted schedule is one this machine's systemd-analyze reads", function () {
        requireTool(this, "systemd-analyze", "apt-get install systemd");
        for (const schedule of ACCEPTED) {
            const check = spawnSync("systemd-analyze", ["calendar", schedule], { encoding: "utf8" });
            assert.equal(check.status, 0, `${schedule}: ${check.stderr}`);
        }
    });

    it("renders a Persistent, spread timer and a oneshot service that runs the backup as scheduled", () => {
        const timer = renderEtcdBackupTimer("daily");
        assert.match(timer, /^OnCalendar=daily$/m);
        assert.match(timer, /^Persistent=true$/m);
        assert.match(timer, /^RandomizedDelaySec=300$/m);
        assert.match(renderEtcdBackupService(), new RegExp(`^ExecStart=${ETCD_BACKUP_COMMAND} scheduled$`, "m"));
        assert.equal(ETCD_BACKUP_COMMAND, "/usr/local/sbin/boutique-etcd-backup", "the upgrade script calls this exact path");
    });

    it("installs both scripts executable and the units, checks the schedule, then reloads, enables and restarts the timer", () => {
        const files = etcdBackupFiles({ backupScript: "#!/bin/bash\necho backup\n", restoreScript: "#!/bin/bash\necho restore\n", schedule: "hourly" });
        withSandbox(["systemctl", "systemd-analyze"], [], (sandbox) => {
            const run = sandbox.run(renderInstallEtcdBackupScript("hourly"), { stdin: encodeFileBundle(files) });
            assert.equal(run.status, 0, run.stderr);
            assert.equal(modeOf(sandbox.path(ETCD_BACKUP_COMMAND)), "0755");
            assert.equal(modeOf(sandbox.path(ETCD_RESTORE_COMMAND)), "0755");
            assert.match(sandbox.read(ETCD_BACKUP_UNIT_PATHS.timer), /^OnCalendar=hourly$/m);
            const order = [
                "systemd-analyze calendar hourly",
                "systemctl daemon-reload",
                "systemctl enable boutique-etcd-backup.timer",
                "systemctl restart boutique-etcd-backup.timer",
            ];
            const positions = order.map((call) => callIndex(run.calls, new RegExp(`^${call.replace(/[.*]/g, "\\$&")}$`)));
            assert.ok(
                positions.every((position, i) => position >= 0 && (i === 0 || position > positions[i - 1])),
                run.calls.join("\n"),
            );
        });
    });

    it("enables nothing when the node's systemd refuses the schedule", () => {
        const files = etcdBackupFiles({ backupScript: "b", restoreScript: "r", schedule: "hourly" });
        withSandbox(["systemctl", "systemd-analyze"], [{ match: "^systemd-analyze calendar", exit: 1 }], (sandbox) => {
            const run = sandbox.run(renderInstallEtcdBackupScript("hourly"), { stdin: encodeFileBundle(files) });
            assert.notEqual(run.status, 0);
            assert.match(run.stderr, /this node's systemd refuses the schedule 'hourly'/);
            assert.equal(callIndex(run.calls, /^systemctl /), -1);
        });
    });
});
