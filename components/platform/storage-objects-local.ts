import { stringify } from "yaml";
import { KubernetesObject, workload } from "../shared/kubernetes-object";

/**
 * rancher/local-path-provisioner as upstream's `deploy/local-path-storage.yaml` (tag v0.0.37,
 * unchanged on master 9fa2a62e), minus its own `local-path` StorageClass (the cluster's one
 * class is the default one) and with the helper image pinned (upstream leaves it untagged).
 */
export const LOCAL_PATH_PROVISIONER = "rancher.io/local-path";
export const LOCAL_PATH_NAMESPACE = "local-path-storage";
/** Where volumes live on each node: they die with the node (dev stacks only). */
export const LOCAL_PATH_DIRECTORY = "/opt/local-path-provisioner";

export const LOCAL_PATH_IMAGES = {
    provisioner: "docker.io/rancher/local-path-provisioner:v0.0.37",
    /** Runs the setup/teardown scripts on the volume's node. */
    helper: "docker.io/library/busybox:1.37.0",
} as const;

const SERVICE_ACCOUNT = "local-path-provisioner-service-account";
const ROLE = "local-path-provisioner-role";
const BINDING = "local-path-provisioner-bind";
const CONFIG_MAP = "local-path-config";
const APP_LABELS = { app: "local-path-provisioner" };

const rbacSubjects = [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace: LOCAL_PATH_NAMESPACE }];

/** The provisioner's config: one directory on every node, the helper scripts and pod. */
function configMap(): KubernetesObject {
    const helperPod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "helper-pod" },
        spec: {
            priorityClassName: "system-node-critical",
            tolerations: [{ key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" }],
            containers: [{ name: "helper-pod", image: LOCAL_PATH_IMAGES.helper, imagePullPolicy: "IfNotPresent" }],
        },
    };
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: CONFIG_MAP, namespace: LOCAL_PATH_NAMESPACE },
        data: {
            "config.json": JSON.stringify({ nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [LOCAL_PATH_DIRECTORY] }] }, null, 2),
            setup: ["#!/bin/sh", "set -eu", 'mkdir -m 0777 -p "$VOL_DIR"'].join("\n"),
            teardown: ["#!/bin/sh", "set -eu", 'rm -rf "$VOL_DIR"'].join("\n"),
            "helperPod.yaml": stringify(helperPod),
        },
    };
}

function deployment(): KubernetesObject {
    const health = (path: string, initialDelaySeconds: number, periodSeconds: number) => ({
        httpGet: { path, port: "health" },
        initialDelaySeconds,
        periodSeconds,
    });
    return workload(
        "Deployment",
        { name: "local-path-provisioner", namespace: LOCAL_PATH_NAMESPACE },
        APP_LABELS,
        {
            serviceAccountName: SERVICE_ACCOUNT,
            containers: [
                {
                    name: "local-path-provisioner",
                    image: LOCAL_PATH_IMAGES.provisioner,
                    imagePullPolicy: "IfNotPresent",
                    command: ["local-path-provisioner", "--debug", "start", "--config", "/etc/config/config.json"],
                    ports: [{ name: "health", containerPort: 8080, protocol: "TCP" }],
                    startupProbe: { ...health("/health", 5, 5), failureThreshold: 12 },
                    livenessProbe: health("/health", 10, 10),
                    readinessProbe: health("/ready", 5, 5),
                    volumeMounts: [{ name: "config-volume", mountPath: "/etc/config/" }],
                    env: [
                        { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                        { name: "CONFIG_MOUNT_PATH", value: "/etc/config/" },
                        { name: "HEALTH_PORT", value: "8080" },
                    ],
                },
            ],
            volumes: [{ name: "config-volume", configMap: { name: CONFIG_MAP } }],
        },
        { spec: { replicas: 1 } },
    );
}

/** The provisioner's objects: namespace, service account, RBAC, config and Deployment. */
export function localPathObjects(): KubernetesObject[] {
    const rbac = "rbac.authorization.k8s.io/v1";
    return [
        // Helper pods mount a host path, which only the privileged level allows.
        { apiVersion: "v1", kind: "Namespace", metadata: { name: LOCAL_PATH_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SERVICE_ACCOUNT, namespace: LOCAL_PATH_NAMESPACE } },
        {
            apiVersion: rbac,
            kind: "Role",
            metadata: { name: ROLE, namespace: LOCAL_PATH_NAMESPACE },
            // The helper pods, in its own namespace.
            rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] }],
        },
        {
            apiVersion: rbac,
            kind: "ClusterRole",
            metadata: { name: ROLE },
            rules: [
                { apiGroups: [""], resources: ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
                { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
            ],
        },
        {
            apiVersion: rbac,
            kind: "RoleBinding",
            metadata: { name: BINDING, namespace: LOCAL_PATH_NAMESPACE },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: ROLE },
            subjects: rbacSubjects,
        },
        {
            apiVersion: rbac,
            kind: "ClusterRoleBinding",
            metadata: { name: BINDING },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ROLE },
            subjects: rbacSubjects,
        },
        deployment(),
        configMap(),
    ];
}
