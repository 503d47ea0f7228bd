import { strict as assert } from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { controlPlaneRestoreWiring } from "../../../components/cluster/control-plane-restore";
import { renderBringUpControlPlaneScript } from "../../../components/cluster/rendered/node-scripts";
import { ALLOW_RESTORE_COMMAND, CONTROL_PLANE_RESTORE_WORK_DIR } from "../../../components/cluster/rendered/node-scripts-control-plane-restore";
import { FIXTURE_FEDERATION } from "../../support/etcd-backup-fixtures";
import { ETCD_IMAGE, IDENTITY, RestoreLab } from "../../support/restore-lab";
import { callIndex } from "../../support/scripts-sandbox";
import { requireTool } from "../../support/tools";

/**
 * The only control plane, replaced: its bring-up finds no cluster and either restores etcd from
 * the newest snapshot of this cluster and runs kubeadm init on it, or refuses naming the setting.
 */

const NODE = { nodeName: "boutique-cp-0", nodeAddress: "10.10.0.8", apiServerEndpoint: "10.10.0.2:6443" };
const bringUp = (enabled: boolean) =>
    renderBringUpControlPlaneScript({ ...NODE, mayInitialize: false, restore: { enabled, clusterName: "boutique", identity: IDENTITY } });

const NEWEST = "boutique/boutique-cp-0/20250102T030000Z-scheduled.db";
const SNAPSHOTS = {
    "boutique/boutique-cp-0/20250101T000000Z-scheduled.db": "etcd-snapshot older",
    // Another node's older snapshot sorts after by name, before by time: the time decides.
    "boutique/boutique-cp-9/20240101T000000Z-pre-upgrade.db": "etcd-snapshot other node",
    [NEWEST]: "etcd-snapshot newest",
    "boutique/boutique-cp-0/20250103T000000Z-notes.txt": "not a snapshot name",
    // Another cluster's, newer: never a candidate.
    "boutique-staging/boutique-staging-cp-0/20991231T000000Z-scheduled.db": "etcd-snapshot other cluster",
};
const DATA = "/var/lib/etcd";
const KUBEADM_INIT =
    /^kubeadm init --config \/etc\/kubernetes\/boutique\/kubeadm-init\.yaml --skip-token-print --ignore-preflight-errors=DirAvailable--var-lib-etcd$/;

describe("node scripts: bring-up of the only control plane, restored from the etcd backups", function () {
    let lab: RestoreLab;

    before(function () {
        for (const tool of ["openssl", "curl"]) requireTool(this, tool, `apt-get install ${tool}`);
    });

    beforeEach(async () => {
        lab = new RestoreLab();
        await lab.start();
    });

    afterEach(async () => lab.stop());

    it("restore allowed: downloads this cluster's newest snapshot, restores it as this member, then runs kubeadm init on it", async () => {
        lab.store(SNAPSHOTS);
        const run = await lab.run(bringUp(true), lab.bundle(true));
        assert.equal(run.status, 0, run.stderr);
        const restored = lab.sandbox.read(`${DATA}/member/restored`);
        assert.equal(restored, "etcd-snapshot newest\nname=boutique-cp-0\ninitial-cluster=boutique-cp-0=https://10.10.0.8:2380\npeer=https://10.10.0.8:2380\n");
        const order = [
            /^kubeadm config images list --config \/etc\/kubernetes\/boutique\/kubeadm-init\.yaml$/,
            new RegExp(`^ctr -n k8s\\.io images pull ${ETCD_IMAGE}$`),
            new RegExp(`^ctr -n k8s\\.io run --rm --mount type=bind,src=${CONTROL_PLANE_RESTORE_WORK_DIR},\\S+ ${ETCD_IMAGE} \\S+ etcdctl snapshot status `),
            / etcdctl snapshot restore \S+\/snapshot\.db --data-dir \S+\/data --name boutique-cp-0 --initial-cluster boutique-cp-0=https:\/\/10\.10\.0\.8:2380 --initial-advertise-peer-urls https:\/\/10\.10\.0\.8:2380$/,
            KUBEADM_INIT,
            /delete secret --field-selector type=bootstrap\.kubernetes\.io\/token$/,
        ];
        const positions = order.map((pattern) => callIndex(run.calls, pattern));
        assert.ok(
            positions.every((position) => position >= 0),
            run.calls.join("\n"),
        );
        assert.deepEqual(
            [...positions].sort((a, b) => a - b),
            positions,
            run.calls.join("\n"),
        );
        assert.equal(lab.google.granted.length, 1, "one keyless login");
        assert.equal(run.stdout, `restored etcd from gs://${IDENTITY.bucket}/${NEWEST} (taken 2025-01-02T03:00:00Z)\n`);
        assert.match(
            run.stderr,
            /restoring etcd from gs:\/\/\S+\/boutique\/boutique-cp-0\/20250102T030000Z-scheduled\.db \(taken 2025-01-02T03:00:00Z, \d+d \d+h \d+m ago\)/,
        );
        assert.match(run.stderr, /restart the kubelet on every worker/, "etcdctl cannot bump the revision: the user is told what to do");
        assert.equal((fs.statSync(lab.sandbox.path(DATA)).mode & 0o777).toString(8), "700");
        assert.ok(!lab.sandbox.exists(CONTROL_PLANE_RESTORE_WORK_DIR), "the downloaded snapshot (every Secret) does not outlive the run");
    });

    it("restore not allowed: fails naming the setting, the bucket and its newest snapshot, and runs no kubeadm", async () => {
        lab.store(SNAPSHOTS);
        const run = await lab.run(bringUp(false), lab.bundle(false));
        assert.equal(run.status, 1);
        assert.match(run.stderr, /boutique-cp-0 is the cluster's only control plane, so there is none to join/);
        assert.ok(run.stderr.includes(`run: ${ALLOW_RESTORE_COMMAND}; then pulumi up`), run.stderr);
        assert.equal(ALLOW_RESTORE_COMMAND, "pulumi config set boutique-platform:restoreControlPlaneFromBackup true");
        assert.ok(run.stderr.includes(`The newest snapshot is gs://${IDENTITY.bucket}/${NEWEST}, taken 2025-01-02T03:00:00Z (`), run.stderr);
        assert.match(run.stderr, /The workers keep running their pods meanwhile/);
        assert.equal(callIndex(run.calls, /^(kubeadm|ctr) /), -1, run.calls.join("\n"));
        assert.ok(!lab.sandbox.exists(DATA) && !lab.sandbox.exists(CONTROL_PLANE_RESTORE_WORK_DIR));
    });

    it("restore not allowed and Google unreachable: still refuses with the setting, saying the bucket could not be listed", async () => {
        lab.google.stsOutage = 403;
        const run = await lab.run(bringUp(false), lab.bundle(false));
        assert.equal(run.status, 1);
        assert.ok(run.stderr.includes(ALLOW_RESTORE_COMMAND));
        assert.match(run.stderr, /The bucket gs:\/\/\S+ could not be listed \(token exchange at \S+: HTTP 403/);
    });

    it("refuses to restore (and never inits an empty cluster) when the bucket holds no snapshot of this cluster", async () => {
        lab.store({ "boutique-staging/boutique-staging-cp-0/20991231T000000Z-scheduled.db": "etcd-snapshot other cluster" });
        const run = await lab.run(bringUp(true), lab.bundle(true));
        assert.equal(run.status, 1);
        assert.match(run.stderr, /step 'find a snapshot' failed: gs:\/\/\S+ holds no snapshot of cluster boutique\. Refusing to create an empty cluster/);
        assert.equal(callIndex(run.calls, /^(kubeadm|ctr) /), -1, run.calls.join("\n"));
        assert.ok(!lab.sandbox.exists(DATA));
    });

    it("refuses a newest object that is not a valid snapshot, before touching the data dir", async () => {
        lab.store({ [NEWEST]: "garbage" });
        const run = await lab.run(bringUp(true), lab.bundle(true));
        assert.equal(run.status, 1);
        assert.match(run.stderr, /step 'verify the snapshot' failed: .* is not a valid etcd snapshot; nothing changed/);
        assert.equal(callIndex(run.calls, /^kubeadm init /), -1);
        assert.ok(!lab.sandbox.exists(DATA));
    });

    it("a re-run after a failed restore starts clean: the torn restore is discarded, an earlier data dir is moved aside whole", async () => {
        lab.store(SNAPSHOTS);
        const failed = await lab.run(bringUp(true), lab.bundle(true), { FAKE_RESTORE_FAIL: "1" });
        assert.equal(failed.status, 1);
        assert.match(failed.stderr, /step 'restore the snapshot' failed; nothing changed/);
        assert.equal(callIndex(failed.calls, /^kubeadm init /), -1);
        assert.ok(!lab.sandbox.exists(DATA));
        // As if an earlier attempt had been killed mid-restore (no exit trap), after putting data in place.
        lab.sandbox.write(`${CONTROL_PLANE_RESTORE_WORK_DIR}/data/member/wal-torn`, "torn");
        lab.sandbox.write(`${DATA}/member/snap/db`, "from an earlier attempt");
        const rerun = await lab.run(bringUp(true), lab.bundle(true));
        assert.equal(rerun.status, 0, rerun.stderr);
        assert.deepEqual(fs.readdirSync(lab.sandbox.path(`${DATA}/member`)), ["restored"], "nothing of the earlier attempts is mixed in");
        const aside = fs.readdirSync(lab.sandbox.path("/var/lib")).filter((name) => name.startsWith("etcd.before-restore-"));
        assert.equal(aside.length, 1);
        assert.equal(lab.sandbox.read(`/var/lib/${aside[0]}/member/snap/db`), "from an earlier attempt");
        assert.notEqual(callIndex(rerun.calls, KUBEADM_INIT), -1);
    });

    it("a failed kubeadm init on the restored data resets the node for a retry (which restores again)", async () => {
        lab.store(SNAPSHOTS);
        lab.sandbox.setRules([
            { match: "get --raw /readyz", exit: 1 },
            { match: "^kubeadm config images list ", stdout: `${ETCD_IMAGE}\n` },
            { match: "^kubeadm init ", exit: 1 },
        ]);
        const run = await lab.run(bringUp(true), lab.bundle(true));
        assert.equal(run.status, 1);
        assert.match(run.stderr, /step 'kubeadm init' failed \(node reset for a retry\)/);
        assert.ok(callIndex(run.calls, /^kubeadm reset -f$/) > callIndex(run.calls, KUBEADM_INIT));
    });
});

describe("control plane restore: rendering and wiring checks", () => {
    const wiringArgs = {
        clusterName: "boutique",
        issuer: IDENTITY.issuer,
        federation: FIXTURE_FEDERATION,
        bucket: IDENTITY.bucket,
        initConfig: "kind: InitConfiguration\n",
    };
    const valueOf = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));

    it("never restores on the cluster's one-time initialization", () => {
        assert.throws(
            () => renderBringUpControlPlaneScript({ ...NODE, mayInitialize: true, restore: { enabled: true, clusterName: "boutique", identity: IDENTITY } }),
            /restore applies to a replaced control plane \(mayInitialize false\), not to boutique-cp-0's one-time initialization/,
        );
    });

    it("wires a single control plane only; the init config rides along only when the restore is allowed", async () => {
        assert.equal(controlPlaneRestoreWiring({ ...wiringArgs, controlPlaneCount: 3, enabled: false }), undefined);
        assert.throws(
            () => controlPlaneRestoreWiring({ ...wiringArgs, controlPlaneCount: 3, enabled: true }),
            /applies only to a single control plane, got controlPlaneCount 3/,
        );
        const refusing = controlPlaneRestoreWiring({ ...wiringArgs, controlPlaneCount: 1, enabled: false }) ?? assert.fail("no wiring for one control plane");
        assert.deepEqual(refusing.bundleFiles, []);
        const restoring = controlPlaneRestoreWiring({ ...wiringArgs, controlPlaneCount: 1, enabled: true }) ?? assert.fail("no wiring for one control plane");
        assert.deepEqual(
            restoring.bundleFiles.map((file) => [file.path, file.mode]),
            [["/etc/kubernetes/boutique/kubeadm-init.yaml", "0644"]],
        );
        const script = await valueOf(restoring.bringUpScript(NODE));
        assert.equal(script, bringUp(true));
        assert.deepEqual((await valueOf(restoring.restore)).identity, IDENTITY);
    });
});
