import { strict as assert } from "assert";
import { byName, evaluateDev } from "../support/program";

/** The lone control plane's restore, as the program wires it (the script itself: node-scripts-control-plane-restore tests). */
describe("a lone control plane's replacement (program, mock runtime)", function () {
    this.timeout(300_000);

    it("by default refuses: cp-0's bring-up knows the backup bucket but may not restore, and gets no init config", async () => {
        const evaluation = await evaluateDev();
        const script = evaluation.artifacts["nodes/cp-0/bring-up-control-plane.sh"];
        assert.match(script, /^readonly RESTORE_ENABLED=0$/m);
        assert.match(script, new RegExp(`^readonly BUCKET='${String(evaluation.stackOutputs.etcdBackupBucket)}'$`, "m"), "the bucket the backups go to");
        assert.ok(byName(evaluation, "cp-0-bring-up").dependsOn.includes("etcd-backup-bucket"));
    });

    it("with restoreControlPlaneFromBackup, may restore from that bucket, while cluster-init stays the only bring-up that may create a cluster", async () => {
        const evaluation = await evaluateDev({ restoreControlPlaneFromBackup: "true" });
        assert.match(evaluation.artifacts["nodes/cp-0/bring-up-control-plane.sh"], /^readonly RESTORE_ENABLED=1$/m);
        assert.match(evaluation.artifacts["nodes/cp-0/init-cluster.sh"], /^readonly MAY_INITIALIZE=1$/m);
        assert.match(evaluation.artifacts["nodes/cp-0/bring-up-control-plane.sh"], /^readonly MAY_INITIALIZE=0$/m);
    });

    it("snapshots etcd before a lone control plane's VM changes; with three, no control plane does (a replaced one joins the others)", async () => {
        assert.match((await evaluateDev()).artifacts["nodes/cp-0/roll-start.sh"], /^readonly SNAPSHOT_FIRST=1$/m);
        const three = await evaluateDev({ controlPlaneCount: "3" });
        for (const cp of [0, 1, 2]) assert.match(three.artifacts[`nodes/cp-${cp}/roll-start.sh`], /^readonly SNAPSHOT_FIRST=0$/m);
        assert.equal(three.artifacts["nodes/cp-0/bring-up-control-plane.sh"].includes("RESTORE_ENABLED"), false);
    });
});
