import { stringify } from "yaml";
import { REDACTED } from "./redacted";

/** Where the API server's extra files live on every control plane (mounted by the ClusterConfiguration). */
export const CONTROL_PLANE_PATHS = {
    encryptionConfig: "/etc/kubernetes/encryption/config.yaml",
    auditPolicy: "/etc/kubernetes/audit/policy.yaml",
    auditLogDir: "/var/log/kubernetes/audit",
} as const;

/**
 * Secrets encrypted at rest with secretbox (XSalsa20-Poly1305). `identity` comes last only so
 * Secrets written before encryption was on can still be read; new writes are always encrypted.
 */
export function renderEncryptionConfiguration(secretboxKeyBase64: string): string {
    if (secretboxKeyBase64 !== REDACTED && Buffer.from(secretboxKeyBase64, "base64").length !== 32) {
        throw new Error("the secretbox key must be the base64 encoding of exactly 32 bytes");
    }
    return stringify({
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "EncryptionConfiguration",
        resources: [{ resources: ["secrets"], providers: [{ secretbox: { keys: [{ name: "key1", secret: secretboxKeyBase64 }] } }, { identity: {} }] }],
    });
}

/**
 * The API audit policy: who did what, never what secrets contain. Secrets, ConfigMaps and token
 * reviews are logged at Metadata level only; noisy read-only system traffic is skipped.
 */
export function renderAuditPolicy(): string {
    return stringify({
        apiVersion: "audit.k8s.io/v1",
        kind: "Policy",
        omitStages: ["RequestReceived"],
        rules: [
            // High-volume, low-value: health checks and the system's own watches and events.
            { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"] },
            {
                level: "None",
                users: ["system:kube-proxy"],
                verbs: ["watch"],
                resources: [{ group: "", resources: ["endpoints", "services", "services/status"] }],
            },
            { level: "None", userGroups: ["system:nodes"], verbs: ["get", "list", "watch"], resources: [{ group: "", resources: ["nodes", "nodes/status"] }] },
            {
                level: "None",
                users: ["system:kube-scheduler", "system:kube-controller-manager"],
                verbs: ["get", "update"],
                namespaces: ["kube-system"],
                resources: [{ group: "coordination.k8s.io", resources: ["leases"] }],
            },
            {
                level: "None",
                resources: [
                    { group: "", resources: ["events"] },
                    { group: "events.k8s.io", resources: ["events"] },
                ],
            },
            // Bodies of these hold secrets or credentials: metadata only.
            {
                level: "Metadata",
                resources: [
                    { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
                    { group: "authentication.k8s.io", resources: ["tokenreviews"] },
                    { group: "certificates.k8s.io", resources: ["certificatesigningrequests"] },
                ],
            },
            // Reads: who looked, not what they saw.
            { level: "Metadata", verbs: ["get", "list", "watch"] },
            // Changes: what was asked for.
            { level: "Request" },
        ],
    });
}
