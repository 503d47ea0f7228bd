import * as pulumi from "@pulumi/pulumi";
import { ADMIN_USER, ClusterPki } from "./cluster-pki";
import { CONTROL_PLANE_PATHS, renderAuditPolicy, renderEncryptionConfiguration } from "./rendered/control-plane-files";
import { renderKubeconfig } from "./rendered/kubeconfig";
import { PendingNodeFile } from "./node-join";
import { CONTROL_PLANE_BRING_UP_PATHS } from "./rendered/node-scripts-control-plane";

/** Where kubeadm looks for the PKI every control plane shares (its "manual certificate distribution" list). */
export const SHARED_PKI_PATHS = {
    caCert: "/etc/kubernetes/pki/ca.crt",
    caKey: "/etc/kubernetes/pki/ca.key",
    serviceAccountKey: "/etc/kubernetes/pki/sa.key",
    serviceAccountPublicKey: "/etc/kubernetes/pki/sa.pub",
    frontProxyCaCert: "/etc/kubernetes/pki/front-proxy-ca.crt",
    frontProxyCaKey: "/etc/kubernetes/pki/front-proxy-ca.key",
    etcdCaCert: "/etc/kubernetes/pki/etcd/ca.crt",
    etcdCaKey: "/etc/kubernetes/pki/etcd/ca.key",
} as const;

/**
 * The files every control plane's bring-up installs before kubeadm runs: the shared PKI (kubeadm
 * keeps CAs and keys it finds, and generates each node's own certificates from them), the API
 * server's encryption config and audit policy, and the bring-up kubeconfig (the program's admin
 * identity on the internal endpoint, removed when the bring-up ends) to find the cluster and
 * mint a token.
 */
export function controlPlaneBundleFiles(input: {
    readonly clusterName: string;
    readonly pki: ClusterPki;
    readonly apiServerEndpoint: string;
}): PendingNodeFile[] {
    const { pki } = input;
    const bringUpKubeconfig = pulumi.all([pki.caCertPem, pki.adminCertPem, pki.adminKeyPem]).apply(([caCertPem, clientCertPem, clientKeyPem]) =>
        renderKubeconfig({
            clusterName: input.clusterName,
            server: `https://${input.apiServerEndpoint}`,
            caCertPem,
            userName: ADMIN_USER,
            clientCertPem,
            clientKeyPem,
        }),
    );
    return [
        { path: SHARED_PKI_PATHS.caCert, mode: "0644", content: pki.caCertPem },
        { path: SHARED_PKI_PATHS.caKey, mode: "0600", content: pki.caKeyPem },
        { path: SHARED_PKI_PATHS.serviceAccountKey, mode: "0600", content: pki.serviceAccountKeyPem },
        { path: SHARED_PKI_PATHS.serviceAccountPublicKey, mode: "0644", content: pki.serviceAccountPublicKeyPem },
        { path: SHARED_PKI_PATHS.frontProxyCaCert, mode: "0644", content: pki.frontProxyCaCertPem },
        { path: SHARED_PKI_PATHS.frontProxyCaKey, mode: "0600", content: pki.frontProxyCaKeyPem },
        { path: SHARED_PKI_PATHS.etcdCaCert, mode: "0644", content: pki.etcdCaCertPem },
        { path: SHARED_PKI_PATHS.etcdCaKey, mode: "0600", content: pki.etcdCaKeyPem },
        { path: CONTROL_PLANE_PATHS.encryptionConfig, mode: "0600", content: pki.encryptionKey.apply(renderEncryptionConfiguration) },
        { path: CONTROL_PLANE_PATHS.auditPolicy, mode: "0644", content: renderAuditPolicy() },
        { path: CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig, mode: "0600", content: pulumi.secret(bringUpKubeconfig) },
    ];
}
