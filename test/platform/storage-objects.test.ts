import * as assert from "assert";
import { parse } from "yaml";
import { STORAGE_PROVIDERS, StorageProvider } from "../../config/platform-config";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { loadSchemas as loadModels, validateObject, Validator } from "../support/kubernetes-schemas";
import { LOCAL_PATH_DIRECTORY, PD_CSI_DRIVER, STORAGE_CLASS, storageObjects } from "../../components/platform/storage-objects";

/** Every value under `value`, depth first, with the key that holds it. */
function* walk(value: unknown, key = ""): Generator<[string, unknown]> {
    yield [key, value];
    if (Array.isArray(value)) for (const item of value) yield* walk(item, key);
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* walk(v, k);
}

interface PodSpec {
    readonly serviceAccountName?: string;
    readonly tolerations?: readonly unknown[];
    readonly containers: readonly { readonly name: string; readonly securityContext?: { readonly privileged?: boolean } }[];
    readonly volumes?: readonly { readonly configMap?: { readonly name: string }; readonly hostPath?: { readonly path: string } }[];
}

const WORKLOAD_KINDS = ["Deployment", "DaemonSet"];
const podSpec = (object: KubernetesObject): PodSpec => (object.spec as { template: { spec: PodSpec } }).template.spec;
const workloads = (objects: readonly KubernetesObject[]) => objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));

/** Every image an object runs, the local-path helper pod's (inside its ConfigMap) included. */
function images(object: KubernetesObject): string[] {
    const found: string[] = [];
    for (const [key, value] of walk(object)) {
        if (key === "image" && typeof value === "string") found.push(value);
        if (key === "helperPod.yaml" && typeof value === "string") found.push(...images(parse(value) as KubernetesObject));
    }
    return found;
}

/** "registry/repo:tag" or "...@sha256:...": an explicit tag other than `latest`, or a digest. */
function isPinned(image: string): boolean {
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
    const name = image.slice(image.lastIndexOf("/") + 1);
    const tag = name.includes(":") ? name.slice(name.indexOf(":") + 1) : "";
    return /^[\w][\w.-]{0,127}$/.test(tag) && tag !== "latest";
}

describe("storage objects", () => {
    let models: ReadonlyMap<string, Validator>;
    before(async () => {
        models = await loadModels();
    });

    it("rejects a kind it has no schema for instead of skipping it", () => {
        const object: KubernetesObject = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } };
        assert.throws(() => validateObject(models, object), /no schema/);
        const wrongVersion: KubernetesObject = { apiVersion: "storage.k8s.io/v1beta1", kind: "CSIDriver", metadata: { name: "d" } };
        assert.throws(() => validateObject(models, wrongVersion), /no schema/);
    });

    it("catches schema errors", () => {
        const bad: KubernetesObject = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { replicas: "one" } };
        assert.throws(() => validateObject(models, bad));
    });

    it("recognises pinned and unpinned images", () => {
        for (const image of ["busybox:1.37.0", "registry.k8s.io/a/b:v1.2.3", "localhost:5000/x:v1", `x@sha256:${"0".repeat(64)}`])
            assert.ok(isPinned(image), image);
        for (const image of ["busybox", "busybox:latest", "localhost:5000/x", "docker.io/library/busybox:"]) assert.ok(!isPinned(image), image);
    });

    for (const provider of STORAGE_PROVIDERS) {
        describe(provider, () => {
            const objects = storageObjects(provider);

            it("validates every object against the Kubernetes schema", () => {
                assert.ok(objects.length > 0);
                for (const object of objects) {
                    assert.doesNotThrow(() => validateObject(models, object), `${objectId(object)} is invalid`);
                }
            });

            it("has unique object ids", () => {
                const ids = objects.map(objectId);
                assert.deepStrictEqual(
                    ids.filter((id, i) => ids.indexOf(id) !== i),
                    [],
                );
            });

            it("has exactly one StorageClass, the default one, binding volumes where the pod lands", () => {
                const classes = objects.filter((o) => o.kind === "StorageClass");
                const defaults = classes.filter((o) => o.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
                assert.strictEqual(classes.length, 1);
                assert.strictEqual(defaults.length, 1);
                assert.strictEqual(defaults[0].metadata.name, STORAGE_CLASS);
                assert.strictEqual(defaults[0].volumeBindingMode, "WaitForFirstConsumer");
                assert.strictEqual(defaults[0].reclaimPolicy, "Delete");
            });

            it("uses no key file: no Secret, secret volume, secret env or GOOGLE_APPLICATION_CREDENTIALS", () => {
                for (const object of objects) {
                    assert.notStrictEqual(object.kind, "Secret", objectId(object));
                    for (const [key, value] of walk(object)) {
                        assert.ok(!["secret", "secretName", "secretKeyRef", "secretRef"].includes(key), `${objectId(object)} refers to a Secret (${key})`);
                        if (typeof value === "string") assert.ok(!/GOOGLE_APPLICATION_CREDENTIALS|cloud-sa/.test(value), `${objectId(object)}: ${value}`);
                    }
                }
            });

            it("pins every image to an explicit tag", () => {
                const all = objects.flatMap(images);
                assert.ok(all.length > 0);
                for (const image of all) assert.ok(isPinned(image), `${image} is not pinned`);
            });

            it("creates every namespace, ServiceAccount and ConfigMap its objects use", () => {
                const ids = new Set(objects.map(objectId));
                for (const object of objects) {
                    const ns = object.metadata.namespace;
                    if (ns) assert.ok(ids.has(`Namespace/${ns}`), `${objectId(object)}: namespace ${ns} missing`);
                }
                for (const workload of workloads(objects)) {
                    const spec = podSpec(workload);
                    const ns = workload.metadata.namespace;
                    assert.ok(spec.serviceAccountName, `${objectId(workload)} runs as the default ServiceAccount`);
                    assert.ok(
                        ids.has(`ServiceAccount/${ns}/${spec.serviceAccountName}`),
                        `${objectId(workload)}: ServiceAccount ${spec.serviceAccountName} missing`,
                    );
                    for (const volume of spec.volumes ?? []) {
                        if (volume.configMap)
                            assert.ok(ids.has(`ConfigMap/${ns}/${volume.configMap.name}`), `${objectId(workload)}: ConfigMap ${volume.configMap.name} missing`);
                    }
                }
            });

            it("binds only roles and subjects that exist", () => {
                const ids = new Set(objects.map(objectId));
                const bindings = objects.filter((o) => o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding");
                assert.ok(bindings.some((o) => o.kind === "ClusterRoleBinding"));
                for (const binding of bindings) {
                    const { roleRef, subjects } = binding as unknown as {
                        roleRef: { kind: string; name: string };
                        subjects: { kind: string; name: string; namespace?: string }[];
                    };
                    const roleNs = roleRef.kind === "Role" ? `${binding.metadata.namespace}/` : "";
                    assert.ok(ids.has(`${roleRef.kind}/${roleNs}${roleRef.name}`), `${objectId(binding)}: ${roleRef.kind} ${roleRef.name} missing`);
                    assert.ok(subjects.length > 0);
                    for (const subject of subjects) {
                        assert.strictEqual(subject.kind, "ServiceAccount");
                        assert.ok(subject.namespace, `${objectId(binding)}: subject ${subject.name} without a namespace`);
                        assert.ok(
                            ids.has(`ServiceAccount/${subject.namespace}/${subject.name}`),
                            `${objectId(binding)}: ServiceAccount ${subject.namespace}/${subject.name} missing`,
                        );
                    }
                }
            });
        });
    }

    it("gce-pd: the class provisions balanced PDs through the CSI driver it installs", () => {
        const objects = storageObjects("gce-pd");
        const storageClass = objects.find((o) => o.kind === "StorageClass");
        assert.strictEqual(storageClass?.provisioner, PD_CSI_DRIVER);
        assert.deepStrictEqual(storageClass?.parameters, { type: "pd-balanced" });
        assert.strictEqual(storageClass?.allowVolumeExpansion, true);
        const driver = objects.find((o) => o.kind === "CSIDriver");
        assert.strictEqual(driver?.metadata.name, PD_CSI_DRIVER);
        assert.deepStrictEqual(driver?.spec, { attachRequired: true, podInfoOnMount: false });
    });

    it("gce-pd: the node plugin runs privileged on every node, tainted ones included", () => {
        const node = storageObjects("gce-pd").find((o) => o.kind === "DaemonSet");
        assert.ok(node);
        const spec = podSpec(node);
        assert.deepStrictEqual(spec.tolerations, [{ operator: "Exists" }]);
        assert.strictEqual(spec.containers.find((c) => c.name === "gce-pd-driver")?.securityContext?.privileged, true);
        const hostPaths = (spec.volumes ?? []).map((v) => v.hostPath?.path);
        for (const path of ["/dev", "/sys", "/etc/udev", "/lib/udev", "/run/udev", "/var/lib/kubelet/pods"]) assert.ok(hostPaths.includes(path), path);
    });

    it("local-path: volumes live under the configured directory", () => {
        const objects = storageObjects("local-path");
        assert.strictEqual(objects.find((o) => o.kind === "StorageClass")?.provisioner, "rancher.io/local-path");
        const config = objects.find((o) => o.kind === "ConfigMap")?.data as Record<string, string>;
        const parsed = JSON.parse(config["config.json"]) as { nodePathMap: { node: string; paths: string[] }[] };
        assert.deepStrictEqual(parsed.nodePathMap, [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [LOCAL_PATH_DIRECTORY] }]);
        assert.strictEqual(LOCAL_PATH_DIRECTORY, "/opt/local-path-provisioner");
    });

    it("refuses an unknown provider", () => {
        assert.throws(() => storageObjects("nfs" as StorageProvider), /unknown storage provider/);
    });
});
