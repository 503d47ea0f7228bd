import { strict as assert } from "assert";
import { CommandEngine, StepRecord } from "../support/command-engine";
import { clusterCommands, withNewInstanceId } from "../support/cluster-commands";
import { JoinLab } from "../support/join-lab";

/**
 * A replaced control plane, end to end: the program's own cluster commands run `up` after `up` by
 * the engine model (support/command-engine.ts) against the join lab's VMs (support/join-lab.ts),
 * whose fake kubeadm, kubectl and crictl keep the cluster's Nodes and stacked etcd members. A
 * replacement is what the engine sees of it: the VM's new instanceId in the triggers of the
 * commands that take it, and a VM without /etc/kubernetes at the same address.
 */

const summary = (steps: readonly StepRecord[]) => steps.map((step) => `${step.name}:${step.op}:${step.ok ? "ok" : "failed"}`);
const memberNames = (lab: JoinLab) =>
    lab
        .etcdMembers()
        .map((line) => line.split(", ")[2])
        .sort();
const memberIdOf = (lab: JoinLab, node: string) =>
    lab
        .etcdMembers()
        .find((line) => line.split(", ")[2] === node)
        ?.split(", ")[0];
const initCalls = (lab: JoinLab) => lab.calls().filter((call) => / kubeadm init /.test(call));

describe("a replaced control plane joins the running cluster, never initializes a new one (engine model + join lab)", function () {
    this.timeout(180_000);

    it("3 control planes: cp-0's old membership is removed on cp-1 (Node, etcd member), then cp-0 joins; etcd has 3 members again", async () => {
        const { commands, addressOf, hosts } = await clusterCommands({ controlPlaneCount: "3", workerCount: "2" });
        const lab = new JoinLab(hosts);
        try {
            const engine = new CommandEngine(lab.runner);
            const first = engine.up(commands);
            assert.ok(
                first.every((step) => step.ok),
                summary(first).join(", "),
            );
            const cpNames = ["boutique-dev-cp-0", "boutique-dev-cp-1", "boutique-dev-cp-2"];
            assert.deepEqual(memberNames(lab), cpNames);
            const oldMember = memberIdOf(lab, "boutique-dev-cp-0");
            const before = lab.calls().length;

            const [cp0, cp1] = [addressOf("boutique-dev-cp-0"), addressOf("boutique-dev-cp-1")];
            lab.replaceVm(cp0);
            const second = engine.up(withNewInstanceId(commands, ["cp-0-bring-up", "cp-0-membership"], "cp-0-new-instance"));
            console.log(`      second up: ${summary(second).join(", ")}`);
            assert.deepEqual(summary(second), ["cp-0-membership:replace:ok", "cp-0-bring-up:replace:ok"]);

            const calls = lab.calls().slice(before);
            const at = (pattern: RegExp) => calls.findIndex((call) => pattern.test(call));
            // The old membership's delete: on cp-1, the Node and cp-0's etcd member, through crictl.
            const nodeDeleted = at(new RegExp(`^${cp1} kubectl .*delete node boutique-dev-cp-0 `));
            const memberRemoved = at(new RegExp(`^${cp1} crictl exec \\S+ etcdctl .* member remove ${oldMember}$`));
            assert.ok(nodeDeleted >= 0, `cp-1 deletes cp-0's Node:\n${calls.join("\n")}`);
            assert.ok(memberRemoved > nodeDeleted, `cp-1 removes cp-0's etcd member ${oldMember} after its Node:\n${calls.join("\n")}`);
            // Then the new cp-0 joins: kubeadm join on cp-0, never init.
            const joined = at(new RegExp(`^${cp0} kubeadm join `));
            assert.ok(joined > memberRemoved, `cp-0 joins after its old member is gone:\n${calls.join("\n")}`);
            assert.equal(calls.filter((call) => / kubeadm init /.test(call)).length, 0);
            assert.equal(initCalls(lab).length, 1, "kubeadm init ran once over the whole history");

            assert.deepEqual(memberNames(lab), cpNames, "etcd has its 3 members again");
            assert.notEqual(memberIdOf(lab, "boutique-dev-cp-0"), oldMember, "cp-0's member is a new one");
            assert.ok(lab.nodes().includes("boutique-dev-cp-0"));
            assert.deepEqual(lab.tokens(), [], "the join's token is deleted when it ends");
            assert.deepEqual(
                engine.up(withNewInstanceId(commands, ["cp-0-bring-up", "cp-0-membership"], "cp-0-new-instance")),
                [],
                "a third up has nothing to do",
            );
        } finally {
            lab.cleanup();
        }
    });

    it("1 control plane: a replaced cp-0 with no cluster left to join fails with what to do, and never runs kubeadm init", async () => {
        const { commands, addressOf, hosts } = await clusterCommands({ workerCount: "2" });
        const lab = new JoinLab(hosts);
        try {
            const engine = new CommandEngine(lab.runner);
            const first = engine.up(commands);
            assert.ok(
                first.every((step) => step.ok),
                summary(first).join(", "),
            );
            assert.equal(initCalls(lab).length, 1);

            const cp0 = addressOf("boutique-dev-cp-0");
            lab.replaceVm(cp0);
            lab.apiDown(); // the only control plane was the old VM
            const before = lab.calls().length;
            const second = engine.up(withNewInstanceId(commands, ["cp-0-bring-up"], "cp-0-new-instance"));
            assert.deepEqual(summary(second), ["cp-0-bring-up:replace:failed"]);
            assert.match(
                second[0].stderr,
                /boutique-dev-cp-0: step 'find the cluster' failed: .*is the cluster's only control plane, so there is none to join/,
            );
            assert.match(second[0].stderr, /pulumi config set boutique-platform:restoreControlPlaneFromBackup true/);
            assert.deepEqual(
                lab
                    .calls()
                    .slice(before)
                    .filter((call) => / kubeadm /.test(call)),
                [],
                "neither init nor join",
            );
            assert.equal(initCalls(lab).length, 1, "kubeadm init ran once over the whole history");
            assert.ok(!lab.sandbox(cp0).exists("/etc/kubernetes/admin.conf"), "no second cluster on the new VM");
        } finally {
            lab.cleanup();
        }
    });
});
