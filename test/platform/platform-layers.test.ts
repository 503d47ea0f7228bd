import { strict as assert } from "assert";
import { parseAllDocuments } from "yaml";
import { LOKI_POOL } from "../../config/node-pools";
import { Evaluation } from "../../render/evaluation";
import { dig } from "../fixtures";
import { evaluateDev, ofType } from "../support/program";
import { Doc, releaseValues } from "../support/release-values";

// The dev stack with dedicated Loki nodes, and with layers switched off; the default stack is in platform-dev-stack.test.ts.

describe("the platform layer with dedicated Loki nodes", function () {
    this.timeout(120_000);
    let evaluation: Evaluation;
    before(async () => {
        evaluation = await evaluateDev({ lokiNodeCount: "3", lokiReplicas: "3" });
    });

    it("taints and labels the Loki nodes at registration", () => {
        for (const i of [0, 1, 2]) {
            const join = parseAllDocuments(evaluation.artifacts[`nodes/loki-${i}/kubeadm-join.yaml`]).map((doc) => doc.toJS() as Doc)[0];
            assert.deepEqual(dig(join, "nodeRegistration", "taints"), [{ key: "dedicated", value: "loki", effect: "NoSchedule" }]);
            const labels = (dig(join, "nodeRegistration", "kubeletExtraArgs") as { name: string; value: string }[]).find((arg) => arg.name === "node-labels");
            // The cloud labels every node registers (components/node-labels.ts), then the pool's.
            assert.equal(
                labels?.value,
                "node.kubernetes.io/instance-type=e2-standard-4,topology.kubernetes.io/region=europe-west1,topology.kubernetes.io/zone=europe-west1-b,boutique.dev/pool=loki",
            );
        }
        assert.equal(ofType(evaluation, "gcp:compute/instance:Instance").filter((vm) => vm.name.startsWith("loki-")).length, 3);
    });

    it("Loki's pods tolerate the pool's taint and select its nodes; 3 replicas replicate 3 ways", () => {
        const values = releaseValues(evaluation, "loki");
        const [taint] = LOKI_POOL.taints;
        for (const component of ["write", "read", "backend", "gateway"]) {
            assert.deepEqual(
                dig(values, component, "tolerations"),
                [{ key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect }],
                component,
            );
            assert.deepEqual(dig(values, component, "nodeSelector"), LOKI_POOL.labels, component);
        }
        assert.equal(dig(values, "write", "replicas"), 3);
        assert.equal(dig(values, "loki", "commonConfig", "replication_factor"), 3);
    });
});

describe("the platform layer, switched off layer by layer", function () {
    this.timeout(120_000);
    const releases = async (overrides: Record<string, string>) =>
        ofType(await evaluateDev(overrides), "kubernetes:helm.sh/v3:Release")
            .map((r) => r.name)
            .sort();

    it("keeps only Cilium and the default storage with every optional layer off", async () => {
        const off = {
            enableIstio: "false",
            enableMonitoring: "false",
            enableLogging: "false",
            enableTracing: "false",
            enableKiali: "false",
            enableBoutique: "false",
            autoscaler: "{}",
        };
        const evaluation = await evaluateDev(off);
        assert.deepEqual(
            ofType(evaluation, "kubernetes:helm.sh/v3:Release").map((r) => r.name),
            ["cilium"],
        );
        assert.deepEqual(
            ofType(evaluation, "kubernetes:yaml/v2:ConfigGroup").map((r) => r.name),
            ["storage-gce-pd"],
        );
        assert.deepEqual(
            ofType(evaluation, "gcp:storage/bucket:Bucket").map((bucket) => bucket.name),
            ["etcd-backup-bucket"],
            "only the cluster's own etcd backups",
        );
    });

    it("drops what a layer brings, and only that", async () => {
        const all = [
            "cilium",
            "cluster-autoscaler",
            "flagger",
            "flagger-loadtester",
            "istio-base",
            "istio-ingressgateway",
            "istiod",
            "kiali",
            "kube-prometheus-stack",
            "loki",
            "otel-collector",
            "tempo",
        ];
        assert.deepEqual(await releases({}), all);
        assert.deepEqual(
            await releases({ enableTracing: "false" }),
            all.filter((r) => r !== "tempo"),
        );
        assert.deepEqual(
            await releases({ enableLogging: "false", enableTracing: "false" }),
            all.filter((r) => !["loki", "tempo", "otel-collector"].includes(r)),
        );
        assert.deepEqual(
            await releases({ enableKiali: "false", enableIstio: "false", enableBoutique: "false" }),
            all.filter((r) => !r.startsWith("istio") && !r.startsWith("flagger") && r !== "kiali"),
        );
        assert.deepEqual(
            await releases({ enableBoutique: "false" }),
            all.filter((r) => !r.startsWith("flagger")),
        );
        assert.deepEqual(
            await releases({ autoscaler: "{}" }),
            all.filter((r) => r !== "cluster-autoscaler"),
        );
    });
});
