import { strict as assert } from "assert";
import { StackConfigError } from "../config/stack-config";
import { SECRET } from "../render/evaluate";
import { Evaluation } from "../render/evaluation";
import { BAD_CONFIGS } from "./support/bad-configs";
import { byName, evaluateDev, ofType, RecordingCloud } from "./support/program";

interface InstanceInputs {
    name: string;
    networkInterfaces: { networkIp: string; accessConfigs?: unknown[] }[];
    serviceAccount: { email: string };
    shieldedInstanceConfig: { enableSecureBoot: boolean };
    tags: string[];
    metadata: Record<string, string>;
}

const instances = (evaluation: Evaluation) =>
    ofType(evaluation, "gcp:compute/instance:Instance").map((vm) => ({ name: vm.name, inputs: vm.inputs as unknown as InstanceInputs }));

describe("the program (dev stack, mock runtime)", function () {
    this.timeout(120_000);
    const cloud = new RecordingCloud();
    let evaluation: Evaluation;
    before(async () => {
        evaluation = await evaluateDev({ controlPlaneCount: "3" }, cloud);
    });

    it("declares the cluster's VMs: HAProxy, 3 control planes, 3 workers, with fixed names and addresses", () => {
        assert.deepEqual(
            instances(evaluation)
                .map((vm) => [vm.inputs.name, vm.inputs.networkInterfaces[0].networkIp])
                .sort(([, a], [, b]) => a.localeCompare(b, "en", { numeric: true })),
            [
                ["boutique-dev-haproxy", "10.10.0.2"],
                ["boutique-dev-cp-0", "10.10.0.8"],
                ["boutique-dev-cp-1", "10.10.0.9"],
                ["boutique-dev-cp-2", "10.10.0.10"],
                ["boutique-dev-worker-0", "10.10.0.32"],
                ["boutique-dev-worker-1", "10.10.0.33"],
                ["boutique-dev-worker-2", "10.10.0.34"],
            ],
        );
    });

    it("reserves an internal address for every slot up to maxWorkers, whether live or not", () => {
        const internal = ofType(evaluation, "gcp:compute/address:Address").filter((a) => a.inputs.addressType === "INTERNAL");
        assert.equal(internal.length, 1 + 3 + 6);
        assert.deepEqual(byName(evaluation, "worker-5-ip").inputs.address, "10.10.0.37");
    });

    it("only the HAProxy VM has an external address", () => {
        const exposed = instances(evaluation).filter((vm) => (vm.inputs.networkInterfaces[0].accessConfigs ?? []).length > 0);
        assert.deepEqual(
            exposed.map((vm) => vm.name),
            ["haproxy-vm"],
        );
    });

    it("no VM runs as the Compute Engine default service account; every VM has secure boot", () => {
        for (const vm of instances(evaluation)) {
            const email = vm.inputs.serviceAccount.email;
            assert.doesNotMatch(email, /-compute@developer\.gserviceaccount\.com$/, vm.name);
            assert.match(email, vm.name === "haproxy-vm" ? /^boutique-dev-haproxy@/ : /^boutique-dev-nodes@/, vm.name);
            assert.equal(vm.inputs.shieldedInstanceConfig.enableSecureBoot, true, vm.name);
            assert.equal(vm.inputs.metadata["block-project-ssh-keys"], "true", vm.name);
        }
    });

    it("the key cp-0 joins workers with opens workers only: not the control planes, not HAProxy", () => {
        const vms = instances(evaluation);
        const keyLines = (vm: (typeof vms)[number]) => String(vm.inputs.metadata["ssh-keys"]).split("\n");
        const haproxy = vms.find((vm) => vm.name === "haproxy-vm");
        assert.ok(haproxy);
        const programKey = keyLines(haproxy)[0];
        assert.match(programKey, /^pulumi:ssh-ed25519 \S+ pulumi$/);
        const joinKeys = new Set<string>();
        for (const vm of vms) {
            const [own, join, ...rest] = keyLines(vm);
            assert.equal(own, programKey, vm.name);
            assert.deepEqual(rest, [], vm.name);
            if (vm.name.startsWith("worker-")) {
                assert.match(join, /^pulumi:ssh-ed25519 \S+ pulumi-worker-join$/, vm.name);
                joinKeys.add(join);
            } else {
                assert.equal(join, undefined, `${vm.name} must not accept the worker join key`);
            }
        }
        assert.equal(joinKeys.size, 1, "one join key for every worker");
        assert.ok(!joinKeys.has(programKey.replace(/ pulumi$/, " pulumi-worker-join")), "the join key is not the program's key");
    });

    it("no firewall rule opens 22, 6443 or 10250 to 0.0.0.0/0; every rule names target tags", () => {
        for (const rule of ofType(evaluation, "gcp:compute/firewall:Firewall")) {
            const inputs = rule.inputs as { sourceRanges?: string[]; targetTags?: string[]; allows: { ports?: string[] }[] };
            assert.ok((inputs.targetTags ?? []).length > 0, rule.name);
            if ((inputs.sourceRanges ?? []).includes("0.0.0.0/0")) {
                const ports = inputs.allows.flatMap((allow) => allow.ports ?? ["all"]);
                assert.deepEqual(ports, ["80", "443"], rule.name);
            }
        }
    });

    it("every secret is [secret] in resources and artifacts: keys, tokens, certificate and encryption keys, kubeconfig", () => {
        assert.ok(cloud.secretValues.size >= 8, `recorded ${cloud.secretValues.size} secret values`);
        const everything = JSON.stringify(evaluation.resources) + JSON.stringify(evaluation.artifacts) + JSON.stringify(evaluation.stackOutputs);
        for (const secret of cloud.secretValues) {
            assert.ok(!everything.includes(secret), `a secret value leaked: ${secret.slice(0, 24)}...`);
        }
        assert.doesNotMatch(everything, /PRIVATE KEY/);
        assert.equal(evaluation.stackOutputs.kubeconfig, SECRET);
        for (const name of ["cluster-init", "cp-1-bring-up", "worker-0-membership"]) assert.equal(byName(evaluation, name).inputs.stdin, SECRET, name);
        // @pulumi/command itself makes the whole connection (host, key, proxy) a secret input.
        assert.equal(byName(evaluation, "worker-0-membership").inputs.connection, SECRET);
    });

    it("records what each resource waits for: explicit dependsOn and the resources whose outputs it uses", () => {
        assert.ok(byName(evaluation, "cluster-init").dependsOn.includes("haproxy-api-config"));
        assert.ok(byName(evaluation, "worker-1-membership").dependsOn.includes("worker-1-vm"));
        assert.ok(byName(evaluation, "worker-1-vm").dependsOn.includes("worker-1-ip"));
        // A VM changes only inside its roll (lease, drain), and is settled after its join.
        assert.ok(byName(evaluation, "worker-1-vm").dependsOn.includes("worker-1-roll"));
        assert.ok(byName(evaluation, "worker-1-settled").dependsOn.includes("worker-1-membership"));
        // Control planes come up, and are replaced, one at a time.
        assert.ok(byName(evaluation, "cp-2-bring-up").dependsOn.includes("cp-1-bring-up"));
        assert.ok(byName(evaluation, "cp-2-vm").dependsOn.includes("cp-1-bring-up"));
        assert.equal(byName(evaluation, "worker-1-vm").parent, "worker-1");
        assert.equal(byName(evaluation, "worker-1").parent, "workers");
    });

    it("grants the nodes' account exactly its roles: Persistent Disk ones only with gce-pd, actAs on itself only", async () => {
        const grants = (run: Evaluation) =>
            [
                ...ofType(run, "gcp:projects/iAMMember:IAMMember")
                    .filter((grant) => grant.name.startsWith("nodes-sa-"))
                    .map((grant) => `project ${String(grant.inputs.role)}`),
                ...ofType(run, "gcp:serviceaccount/iAMMember:IAMMember")
                    .filter((grant) => grant.name.startsWith("nodes-sa-"))
                    .map((grant) => `${String(grant.inputs.serviceAccountId)} ${String(grant.inputs.role)}`),
            ].sort();
        const base = [
            "project roles/artifactregistry.reader",
            "project roles/logging.logWriter",
            "project roles/monitoring.metricWriter",
            "project roles/monitoring.viewer",
        ];
        assert.deepEqual(
            grants(evaluation),
            [
                ...base,
                "projects/boutique-dev-000000/serviceAccounts/boutique-dev-nodes@boutique-dev-000000.iam.gserviceaccount.com roles/iam.serviceAccountUser",
                "project roles/compute.storageAdmin",
            ].sort(),
        );
        assert.deepEqual(grants(await evaluateDev({ storageProvider: "local-path" })), base);
    });

    it("re-runs the bring-up steps on a replaced VM: both HAProxy config commands on a new HAProxy VM, the workers gate on a new cluster", () => {
        const api = byName(evaluation, "haproxy-api-config").inputs.triggers;
        assert.ok(Array.isArray(api) && api.length === 1 && api[0], "the API config command follows the HAProxy VM's instance id");
        assert.deepEqual(byName(evaluation, "haproxy-config").inputs.triggers, api, "so does the ingress one");
        assert.deepEqual(
            byName(evaluation, "workers-ready-wait").inputs.triggers,
            ["cluster-init-id"],
            "the gate follows the cluster's one-time initialization (a replaced cp-0 joins the same cluster)",
        );
    });

    it("gives each node's kubelet its provider id", () => {
        const init = evaluation.artifacts["nodes/cp-0/kubeadm-init.yaml"];
        assert.match(init, /gce:\/\/boutique-dev-000000\/europe-west1-b\/boutique-dev-cp-0/);
        assert.match(evaluation.artifacts["nodes/worker-2/kubeadm-join.yaml"], /gce:\/\/boutique-dev-000000\/europe-west1-b\/boutique-dev-worker-2/);
    });

    it("writes the artifacts render promises: haproxy's two files, kubeadm configs and scripts per node", () => {
        const files = Object.keys(evaluation.artifacts);
        for (const expected of [
            "haproxy.cfg",
            "haproxy-ingress.cfg",
            "nodes/cp-0/workers-ready.sh",
            "nodes/cp-0/kubeadm-init.yaml",
            "nodes/cp-0/init-cluster.sh",
            "nodes/cp-1/kubeadm-join.yaml",
            "nodes/cp-1/bring-up-control-plane.sh",
            "nodes/worker-0/join-worker.sh",
            "nodes/worker-0/join-node.sh",
            "nodes/worker-0/remove-node.sh",
            "nodes/worker-0/roll-start.sh",
        ]) {
            assert.ok(files.includes(expected), expected);
        }
        assert.match(evaluation.artifacts["haproxy-ingress.cfg"], /10\.10\.0\.34/);
    });
});

describe("bad config", function () {
    this.timeout(60_000);
    // The first few, and every bad delivery config (the Canary is the last thing declared).
    for (const { overrides, message } of [...BAD_CONFIGS.slice(0, 5), ...BAD_CONFIGS.filter((bad) => "delivery" in bad.overrides)]) {
        it(`fails before any resource exists: ${JSON.stringify(overrides)}`, async () => {
            const cloud = new RecordingCloud();
            await assert.rejects(
                evaluateDev(overrides, cloud),
                (error: StackConfigError) => error instanceof StackConfigError && error.problems.includes(message),
            );
            assert.equal(cloud.programResources, 0);
        });
    }
});
