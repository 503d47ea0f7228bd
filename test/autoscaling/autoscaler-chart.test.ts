import { strict as assert } from "assert";
import { parse } from "yaml";
import { CLOUD_CONFIG_FILES, CLUSTER_AUTOSCALER, CONFIG_CHECKSUM_ANNOTATION } from "../../components/autoscaling/autoscaler-values";
import { dig } from "../fixtures";
import { renderedSuite } from "../support/platform-render";

describe("the cluster-autoscaler chart as Helm renders it (dev stack)", function () {
    const rendered = renderedSuite(this);

    it("its Deployment's pod template carries the config checksum (a renewed client certificate rolls the pod) and mounts what it covers at /config", async () => {
        const platform = await rendered.platform("dev");
        const values = parse(platform.evaluation.artifacts["values/cluster-autoscaler.yaml"]) as Record<string, unknown>;
        const checksum = dig(values, "podAnnotations", CONFIG_CHECKSUM_ANNOTATION);
        assert.match(String(checksum), /^[0-9a-f]{64}$/);
        const objects = platform.charts.rendered.find(({ release }) => release.name === CLUSTER_AUTOSCALER.release)?.objects ?? [];
        const deployments = objects.filter((object) => object.kind === "Deployment");
        assert.equal(deployments.length, 1, `${objects.length} objects rendered`);
        assert.equal(dig(deployments[0], "spec", "template", "metadata", "annotations", CONFIG_CHECKSUM_ANNOTATION), checksum);
        // What the checksum covers is what the pod mounts: the ConfigMap and the Secret, projected into one directory.
        const pod = dig(deployments[0], "spec", "template", "spec") as {
            volumes: { name: string; projected?: unknown }[];
            containers: { command: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
        };
        assert.deepEqual(pod.volumes.find((volume) => volume.name === "cloud-config")?.projected, {
            sources: [{ configMap: { name: CLUSTER_AUTOSCALER.configMap } }, { secret: { name: CLUSTER_AUTOSCALER.configSecret } }],
        });
        assert.equal(pod.containers[0].volumeMounts.find((mount) => mount.name === "cloud-config")?.mountPath, CLUSTER_AUTOSCALER.configDir);
        assert.ok(
            pod.containers[0].command.includes(`--cloud-config=${CLUSTER_AUTOSCALER.configDir}/${CLOUD_CONFIG_FILES.config}`),
            pod.containers[0].command.join(" "),
        );
    });
});
