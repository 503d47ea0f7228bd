import { RenderedResource } from "../../render/evaluation";

/** A resources.json record, as the policy pack tests feed it to the policies. */
export type ResourceRecord = Pick<RenderedResource, "type" | "name" | "inputs">;

const peerAuthentication = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace: "boutique" },
    spec,
});

/**
 * Resources that break every guardrail at least once, shaped like out/<stack>/resources.json
 * (without parent and dependsOn, which the policies do not read).
 */
export const BAD_RESOURCES: readonly ResourceRecord[] = [
    {
        type: "gcp:compute/instance:Instance",
        name: "public-worker",
        inputs: {
            tags: ["k8s-node", "k8s-worker"],
            networkInterfaces: [{ subnetwork: "nodes", accessConfigs: [{}] }],
            serviceAccount: { email: "123456789012-compute@developer.gserviceaccount.com", scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
            shieldedInstanceConfig: { enableSecureBoot: false, enableVtpm: true },
        },
    },
    {
        type: "gcp:compute/instanceTemplate:InstanceTemplate",
        name: "worker-template",
        inputs: {
            tags: ["k8s-node"],
            networkInterfaces: [{ subnetwork: "nodes" }, { subnetwork: "v6", ipv6AccessConfigs: [{ networkTier: "PREMIUM" }] }],
            serviceAccount: { email: "default", scopes: ["cloud-platform"] },
        },
    },
    {
        type: "gcp:compute/firewall:Firewall",
        name: "allow-ssh-anywhere",
        inputs: { network: "vpc", direction: "INGRESS", sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["22"] }] },
    },
    {
        type: "gcp:compute/firewall:Firewall",
        name: "allow-all-v6",
        inputs: { network: "vpc", sourceRanges: ["::/0"], allows: [{ protocol: "all" }] },
    },
    {
        type: "gcp:storage/bucket:Bucket",
        name: "public-bucket",
        inputs: { location: "EU", uniformBucketLevelAccess: false, publicAccessPrevention: "inherited" },
    },
    {
        type: "gcp:storage/bucketIAMMember:BucketIAMMember",
        name: "public-reader",
        inputs: { bucket: "b", role: "roles/storage.objectViewer", member: "allUsers" },
    },
    {
        type: "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        name: "google-readers",
        inputs: { bucket: "b", role: "roles/storage.objectViewer", members: ["user:ops@example.com", "allAuthenticatedUsers"] },
    },
    {
        type: "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
        name: "public-policy",
        inputs: { bucket: "b", policyData: JSON.stringify({ bindings: [{ role: "roles/storage.objectViewer", members: ["allUsers"] }] }) },
    },
    { type: "gcp:storage/bucketAccessControl:BucketAccessControl", name: "public-bucket-acl", inputs: { bucket: "b", role: "READER", entity: "allUsers" } },
    {
        type: "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
        name: "public-default-object-acl",
        inputs: { bucket: "b", role: "READER", entity: "allAuthenticatedUsers" },
    },
    {
        type: "gcp:storage/objectAccessControl:ObjectAccessControl",
        name: "public-object-acl",
        inputs: { bucket: "b", object: "o", role: "READER", entity: "allUsers" },
    },
    { type: "gcp:storage/bucketACL:BucketACL", name: "public-acl", inputs: { bucket: "b", roleEntities: ["OWNER:project-owners-123", "READER:allUsers"] } },
    {
        type: "kubernetes:security.istio.io/v1:PeerAuthentication",
        name: "frontend-plaintext-port",
        inputs: peerAuthentication("frontend", { mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "DISABLE" } } }),
    },
    {
        type: "kubernetes:yaml/v2:ConfigGroup",
        name: "mesh-policy",
        inputs: {
            objs: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "boutique" } }, peerAuthentication("default", { mtls: { mode: "PERMISSIVE" } })],
        },
    },
    {
        type: "kubernetes:helm.sh/v3:Release",
        name: "kube-prometheus-stack",
        inputs: { chart: "kube-prometheus-stack", values: { grafana: { "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Viewer" } } } } },
    },
    { type: "kubernetes:helm.sh/v3:Release", name: "kiali", inputs: { chart: "kiali-server", values: { auth: { strategy: "anonymous" } } } },
];
