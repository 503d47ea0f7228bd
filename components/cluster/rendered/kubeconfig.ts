import { stringify } from "yaml";

export interface KubeconfigInput {
    readonly clusterName: string;
    /** https://host:port */
    readonly server: string;
    readonly caCertPem: string;
    readonly userName: string;
    readonly clientCertPem: string;
    readonly clientKeyPem: string;
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** A kubeconfig (v1 Config) with one cluster, one client-certificate user and one selected context. */
export function renderKubeconfig(input: KubeconfigInput): string {
    if (!/^https:\/\/[^/\s]+$/.test(input.server)) {
        throw new Error(`kubeconfig server must be https://host:port, got ${JSON.stringify(input.server)}`);
    }
    const context = `${input.userName}@${input.clusterName}`;
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: input.clusterName, cluster: { server: input.server, "certificate-authority-data": base64(input.caCertPem) } }],
        users: [{ name: input.userName, user: { "client-certificate-data": base64(input.clientCertPem), "client-key-data": base64(input.clientKeyPem) } }],
        contexts: [{ name: context, context: { cluster: input.clusterName, user: input.userName } }],
        "current-context": context,
        preferences: {},
    });
}
