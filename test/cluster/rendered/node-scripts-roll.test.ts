import { strict as assert } from "assert";
import { renderRollStartScript } from "../../../components/cluster/rendered/node-scripts";
import { ETCD_BACKUP_COMMAND } from "../../../components/cluster/rendered/node-scripts-etcd-snapshot";
import { callIndex, withSandbox } from "../../support/scripts-sandbox";

/** roll-start's own steps against stub tools (the Lease under concurrency is test/cluster/roll-lease.test.ts). */

const TEMPLATE = { image: "ubuntu-os-cloud/ubuntu-2404-lts-amd64", diskSizeGb: 50, machineType: "e2-standard-2", kubernetesVersion: { minor: 32, patch: 4 } };
const lone = renderRollStartScript({ nodeName: "boutique-cp-0", template: TEMPLATE, snapshotFirst: true, drainTimeoutSeconds: 60, waitSeconds: 600 });
const rules = [
    { match: "^kubectl .* get node boutique-cp-0 --ignore-not-found -o name", stdout: "node/boutique-cp-0" },
    { match: "^kubectl .* get lease boutique-node-roll --ignore-not-found -o jsonpath=\\{\\.spec\\.holderIdentity\\}$", stdout: "boutique-cp-0" },
];
const backupStub = (exit: number) => `#!/usr/bin/env bash\necho "boutique-etcd-backup $*" >>"$STUB_DIR/calls"\nexit ${exit}\n`;

describe("node scripts: roll-start of the only control plane", () => {
    it("snapshots etcd after taking the lease and before the drain, so a replacement restores this moment", () => {
        withSandbox(["kubectl"], rules, (sandbox) => {
            sandbox.write(ETCD_BACKUP_COMMAND, backupStub(0), 0o755);
            const run = sandbox.run(lone);
            assert.equal(run.status, 0, run.stderr);
            const [lease, backup, drain] = [/ create -f -$/, /^boutique-etcd-backup pre-change$/, / drain boutique-cp-0 /].map((pattern) =>
                callIndex(run.calls, pattern),
            );
            assert.ok(lease >= 0 && lease < backup && backup < drain, run.calls.join("\n"));
        });
    });

    for (const [what, install] of [
        ["fails", true],
        ["is not installed", false],
    ] as const) {
        it(`when the snapshot ${what}: gives the lease back, drains nothing, fails naming the step`, () => {
            withSandbox(["kubectl"], rules, (sandbox) => {
                if (install) sandbox.write(ETCD_BACKUP_COMMAND, backupStub(1), 0o755);
                const run = sandbox.run(lone);
                assert.equal(run.status, 1);
                assert.match(run.stderr, /boutique-cp-0: step 'snapshot etcd' failed .* the VM is left unchanged/);
                assert.notEqual(callIndex(run.calls, / delete lease boutique-node-roll$/), -1, "the lease is given back");
                assert.equal(callIndex(run.calls, / (cordon|drain) /), -1);
            });
        });
    }
});
