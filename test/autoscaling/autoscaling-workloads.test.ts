import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { parse } from "yaml";
import {
    CLOUD_CONFIG_FILES,
    CLUSTER_AUTOSCALER,
    clusterAutoscalerValues,
    CONFIG_CHECKSUM_ANNOTATION,
    configChecksum,
    renderCloudConfig,
    SCALER,
    SCALER_HOST,
} from "../../components/autoscaling/autoscaler-values";
import { RUN_AS, SCALER_HOSTNAME, SCALER_PATHS, stopTimings } from "../../components/autoscaling/scaler-objects";
import { updateMarkerFile } from "../../scaler/guarded-stack";
import { Evaluation } from "../../render/evaluation";
import { dig } from "../fixtures";
import { byName, evaluateDev, manifestObjects } from "../support/program";
import { call, upstreamClient, UPSTREAM_PROTO } from "../support/scaler-lab";
import { ScalerProcess } from "../support/scaler-process";
import { devWithSecrets, SecretCapturingCloud } from "../support/secret-capturing-cloud";
import { scalerOptions } from "../../scaler/main";

// The autoscaler's and the scaler's workloads: their config, chart values, pods and certificates.
describe("autoscaling in the cluster (dev stack, mock runtime)", function () {
    this.timeout(120_000);
    let cloud: SecretCapturingCloud;
    let evaluation: Evaluation;
    before(async () => {
        ({ cloud, evaluation } = await devWithSecrets());
    });

    it("the autoscaler's cloud-config dials the scaler's service with the mounted client certificate, 5 s per call", () => {
        const secret = cloud.secrets.get("autoscaling-cloud-config");
        assert.ok(secret, "the client certificate's Secret exists");
        // A ConfigMap (nothing secret in it): the render shows the address.
        const configMap = byName(evaluation, "autoscaling-cloud-config-file").inputs;
        assert.deepEqual(dig(configMap, "metadata"), { name: CLUSTER_AUTOSCALER.configMap, namespace: SCALER.namespace });
        const config = parse(String(dig(configMap, "data", CLOUD_CONFIG_FILES.config))) as Record<string, string>;
        assert.deepEqual(config, {
            address: "scaler.autoscaler.svc:8086",
            cert: "/config/tls.crt",
            key: "/config/tls.key",
            cacert: "/config/ca.crt",
            grpc_timeout: "5s",
        });
        for (const file of [config.cert, config.key, config.cacert])
            assert.ok(secret[path.basename(file)].startsWith("-----BEGIN"), `${file} is in the Secret`);
    });

    it("the chart runs provider externalgrpc with that config mounted, its image at the cluster's Kubernetes minor", async () => {
        const values = parse(evaluation.artifacts["values/cluster-autoscaler.yaml"]) as Record<string, unknown>;
        assert.equal(values.cloudProvider, "externalgrpc");
        assert.equal(dig(values, "autoDiscovery", "clusterName"), "boutique-dev", "the chart renders no Deployment without it");
        assert.equal(dig(values, "extraArgs", "cloud-config"), `${CLUSTER_AUTOSCALER.configDir}/${CLOUD_CONFIG_FILES.config}`);
        // Both in one directory: the cloud-config names the certificate files beside it.
        assert.deepEqual(dig(values, "extraVolumes"), [
            {
                name: "cloud-config",
                projected: { sources: [{ configMap: { name: CLUSTER_AUTOSCALER.configMap } }, { secret: { name: CLUSTER_AUTOSCALER.configSecret } }] },
            },
        ]);
        assert.deepEqual(dig(values, "extraVolumeMounts"), [{ name: "cloud-config", mountPath: CLUSTER_AUTOSCALER.configDir, readOnly: true }]);
        assert.match(String(dig(values, "image", "tag")), /^v1\.32\.\d+$/);
        const newer = await evaluateDev({ kubernetesVersion: "1.34.2" });
        assert.match(String(dig(parse(newer.artifacts["values/cluster-autoscaler.yaml"]), "image", "tag")), /^v1\.34\.\d+$/);
    });

    it("the scaler runs on the control plane with its desired scale on that node's disk, never evicted by the autoscaler", () => {
        const deployment = manifestObjects(evaluation).find((object) => object.kind === "Deployment" && object.metadata.name === SCALER.name);
        assert.ok(deployment);
        const pod = dig(deployment, "spec", "template", "spec") as Record<string, unknown>;
        assert.deepEqual(pod.nodeSelector, { "kubernetes.io/hostname": "boutique-dev-cp-0" });
        assert.equal(dig(deployment, "spec", "template", "metadata", "annotations", "cluster-autoscaler.kubernetes.io/safe-to-evict"), "false");
        assert.equal(dig(deployment, "spec", "strategy", "type"), "Recreate");
        // The Deployment's command line, read by the scaler's own option parser.
        const options = scalerOptions(dig(pod, "containers", 0, "args") as string[]);
        assert.equal(options.stack, "dev");
        assert.equal(options.dryRun, undefined);
        assert.notEqual(options.tls, "insecure");
        assert.deepEqual(options.listen, { host: "0.0.0.0", port: SCALER.grpcPort });
        const mounts = new Map(
            (dig(pod, "containers", 0, "volumeMounts") as { name: string; mountPath: string }[]).map((mount) => [mount.mountPath, mount.name]),
        );
        const volumes = new Map((pod.volumes as { name: string; hostPath?: { path: string } }[]).map((volume) => [volume.name, volume]));
        const volumeOf = (file: string) => volumes.get(mounts.get(path.dirname(file)) ?? "");
        assert.equal(volumeOf(options.scaleRecord ?? "")?.hostPath?.path, SCALER_PATHS.state, "the record is on the node's disk");
        if (options.tls !== "insecure") {
            for (const file of [options.tls.cert, options.tls.key, options.tls.ca]) assert.equal(volumeOf(file)?.name, "tls", file);
            // The files the scaler reads are exactly the keys the program stores in the Secret it mounts.
            const stored = Object.keys(cloud.secrets.get("autoscaling-scaler-tls") ?? {}).sort();
            assert.deepEqual([options.tls.cert, options.tls.key, options.tls.ca].map((file) => path.basename(file)).sort(), stored);
        }
    });

    it("the autoscaler restarts when its certificate changes: its pod template carries a checksum of its config and certificates (not the key)", () => {
        const values = parse(evaluation.artifacts["values/cluster-autoscaler.yaml"]) as Record<string, unknown>;
        const annotation = String(dig(values, "podAnnotations", CONFIG_CHECKSUM_ANNOTATION));
        const secret = cloud.secrets.get("autoscaling-cloud-config") ?? {};
        const cloudConfig = String(dig(byName(evaluation, "autoscaling-cloud-config-file").inputs, "data", CLOUD_CONFIG_FILES.config));
        const files = { cloudConfig, certPem: secret[CLOUD_CONFIG_FILES.cert], caCertPem: secret[CLOUD_CONFIG_FILES.caCert] };
        assert.match(annotation, /^[0-9a-f]{64}$/);
        assert.equal(annotation, configChecksum(files), "the digest of the mounted config and certificates");
        assert.equal(configChecksum({ ...files }), annotation, "stable: an unchanged certificate rolls nothing");
        // A renewed certificate (same key, new serial and validity), a new CA, a new config: each rolls the pod.
        const pem = secret[CLOUD_CONFIG_FILES.cert];
        const at = pem.indexOf("-----END") - 8;
        const renewed = `${pem.slice(0, at)}${pem[at] === "A" ? "B" : "A"}${pem.slice(at + 1)}`;
        assert.notEqual(renewed, secret[CLOUD_CONFIG_FILES.cert]);
        for (const changed of [
            { ...files, certPem: renewed },
            { ...files, caCertPem: `${files.caCertPem}\n` },
            { ...files, cloudConfig: cloudConfig.replace("5s", "6s") },
        ]) {
            assert.notEqual(configChecksum(changed), annotation);
        }
        // Boundaries are part of the digest: moving text from one file to the next changes it.
        assert.notEqual(configChecksum({ cloudConfig: "ab", certPem: "c", caCertPem: "" }), configChecksum({ cloudConfig: "a", certPem: "bc", caCertPem: "" }));
    });

    it("the scaler's pod outlives one scale update when stopped, claims a host name of its own, and can read its renewed certificates", () => {
        const deployment = manifestObjects(evaluation).find((object) => object.kind === "Deployment" && object.metadata.name === SCALER.name);
        const pod = dig(deployment, "spec", "template", "spec") as Record<string, unknown>;
        const options = scalerOptions(dig(pod, "containers", 0, "args") as string[]);
        // The dev stack's scale update budget is the default, 8 minutes.
        assert.deepEqual(stopTimings(8), { stopTimeoutSeconds: 480, terminationGracePeriodSeconds: 510 });
        assert.equal(options.stopTimeoutSeconds, 480, "the scaler waits for a running update as long as one may take");
        assert.equal(pod.terminationGracePeriodSeconds, 510, "and the kubelet waits longer than the scaler");
        assert.equal(pod.hostname, SCALER_HOSTNAME);
        assert.equal(options.ownLockHost, SCALER_HOSTNAME, "the locks its updates take name the host it claims");
        const mounts = new Map(
            (dig(pod, "containers", 0, "volumeMounts") as { name: string; mountPath: string }[]).map((mount) => [mount.mountPath, mount.name]),
        );
        assert.equal(
            mounts.get(path.dirname(updateMarkerFile(options.scaleRecord ?? ""))),
            "state",
            "the unfinished-update marker is on the node's disk, beside the record",
        );
        // Secret files are root's; the scaler's group reads them (and a renewed one reaches the mount: no subPath).
        assert.equal(dig(pod, "securityContext", "fsGroup"), RUN_AS);
        const tls = (pod.volumes as { name: string; secret?: { defaultMode: number } }[]).find((volume) => volume.name === "tls");
        assert.equal(tls?.secret?.defaultMode, 0o440);
        assert.ok((dig(pod, "containers", 0, "volumeMounts") as { subPath?: string }[]).every((mount) => mount.subPath === undefined));
    });

    it("the renderers refuse what the autoscaler could not use", () => {
        assert.throws(() => renderCloudConfig({ address: "scaler.autoscaler.svc", certDir: "/config", grpcTimeoutSeconds: 5 }), /must be host:port/);
        assert.throws(() => renderCloudConfig({ address: "scaler:8086", certDir: "config", grpcTimeoutSeconds: 5 }), /must be absolute/);
        assert.throws(() => renderCloudConfig({ address: "scaler:8086", certDir: "/config", grpcTimeoutSeconds: 0 }), /must be positive/);
        assert.throws(
            () => clusterAutoscalerValues({ clusterName: "c", kubernetesMinor: 40, scaleDownUnneededTime: "10m", configChecksum: "0" }),
            /needs a cluster-autoscaler release for Kubernetes 1\.40/,
        );
    });

    describe("the program's own certificates, on a real scaler and client", () => {
        let dir: string;
        let scaler: ScalerProcess | undefined;
        before(function () {
            if (!fs.existsSync(UPSTREAM_PROTO)) {
                console.log(`      skipped: ${UPSTREAM_PROTO} is not here (a clone without ../shared)`);
                this.skip();
            }
        });
        after(async () => {
            await scaler?.kill();
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("the autoscaler's client certificate reaches the scaler under its service name; the wrong name is refused", async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "autoscaling-tls-"));
            const server = cloud.secrets.get("autoscaling-scaler-tls") ?? {};
            const client = cloud.secrets.get("autoscaling-cloud-config") ?? {};
            for (const [file, pem] of Object.entries(server)) fs.writeFileSync(path.join(dir, file), pem);
            scaler = new ScalerProcess([
                "--dry-run",
                "--state",
                path.join(dir, "state.json"),
                "--cert",
                path.join(dir, "tls.crt"),
                "--key",
                path.join(dir, "tls.key"),
                "--ca",
                path.join(dir, "ca.crt"),
            ]);
            await scaler.start();
            const credentials = grpc.credentials.createSsl(Buffer.from(client["ca.crt"]), Buffer.from(client["tls.key"]), Buffer.from(client["tls.crt"]));
            const nodeGroups = async (serverName: string) => {
                const connection = upstreamClient(scaler?.grpcAddress ?? "", credentials, {
                    "grpc.ssl_target_name_override": serverName,
                    "grpc.default_authority": serverName,
                });
                try {
                    return await call(connection, "NodeGroups");
                } finally {
                    connection.close();
                }
            };
            assert.deepEqual(
                ((await nodeGroups(SCALER_HOST)).nodeGroups as { id: string }[]).map((group) => group.id),
                ["workers"],
            );
            await assert.rejects(nodeGroups("scaler.elsewhere.svc"), (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE);
        });
    });
});
