import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { certificateAuthority, issueCertificate } from "../shared/certificates";
import { discoveryTokenCaCertHash, Jwk, serviceAccountJwks } from "./pki";

/** kubeadm (1.29+) binds this group to cluster-admin; `system:masters` stays a break-glass identity. */
export const ADMIN_GROUP = "kubeadm:cluster-admins";
export const ADMIN_USER = "boutique-platform-admin";

export interface ClusterPkiArgs {
    readonly clusterName: string;
}

/**
 * Key material the program owns instead of reading it back from the first control plane:
 * kubeadm keeps CAs and a service-account key that are already in place, so the discovery
 * hash, the cluster's JWKS and an admin kubeconfig are all known before the cluster exists,
 * and any control plane can be (re)built from the program alone. Every private value is a
 * Pulumi secret.
 */
export class ClusterPki extends pulumi.ComponentResource {
    readonly caCertPem: pulumi.Output<string>;
    readonly caKeyPem: pulumi.Output<string>;
    /** `sha256:<hex>` pin of the CA public key, for `kubeadm join` discovery. */
    readonly discoveryHash: pulumi.Output<string>;
    readonly serviceAccountKeyPem: pulumi.Output<string>;
    readonly serviceAccountPublicKeyPem: pulumi.Output<string>;
    /** The keys the API server signs service-account tokens with (for Workload Identity Federation). */
    readonly serviceAccountJwks: pulumi.Output<{ readonly keys: readonly Jwk[] }>;
    readonly adminCertPem: pulumi.Output<string>;
    readonly adminKeyPem: pulumi.Output<string>;
    /** The front proxy's CA (API aggregation), shared by every control plane. */
    readonly frontProxyCaCertPem: pulumi.Output<string>;
    readonly frontProxyCaKeyPem: pulumi.Output<string>;
    /** Stacked etcd's CA, shared by every control plane. */
    readonly etcdCaCertPem: pulumi.Output<string>;
    readonly etcdCaKeyPem: pulumi.Output<string>;
    /** 32 random bytes, base64: the secretbox key that encrypts Secrets at rest. */
    readonly encryptionKey: pulumi.Output<string>;

    constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:ClusterPki", name, {}, opts);
        const parent = { parent: this };

        const ca = certificateAuthority(name, { commonName: "kubernetes", organization: args.clusterName }, parent);
        this.caCertPem = ca.cert.certPem;
        this.caKeyPem = pulumi.secret(ca.key.privateKeyPem);
        this.discoveryHash = ca.key.publicKeyPem.apply(discoveryTokenCaCertHash);

        const saKey = new tls.PrivateKey(`${name}-service-account-key`, { algorithm: "RSA", rsaBits: 2048 }, parent);
        this.serviceAccountKeyPem = pulumi.secret(saKey.privateKeyPem);
        this.serviceAccountPublicKeyPem = saKey.publicKeyPem;
        this.serviceAccountJwks = saKey.publicKeyPem.apply(serviceAccountJwks);

        const admin = issueCertificate(name, "admin", ca, { subject: { commonName: ADMIN_USER, organization: ADMIN_GROUP }, use: "client_auth" }, parent);
        this.adminCertPem = admin.certPem;
        this.adminKeyPem = admin.keyPem;

        // kubeadm's other shared CAs are the program's too (as Cluster API does), so every control
        // plane receives the whole shared PKI with its bring-up: a join needs no certificates
        // uploaded by another member, and none can expire between attempts.
        const frontProxy = certificateAuthority(`${name}-front-proxy`, { commonName: "front-proxy-ca", organization: args.clusterName }, parent);
        this.frontProxyCaCertPem = frontProxy.cert.certPem;
        this.frontProxyCaKeyPem = pulumi.secret(frontProxy.key.privateKeyPem);
        const etcd = certificateAuthority(`${name}-etcd`, { commonName: "etcd-ca", organization: args.clusterName }, parent);
        this.etcdCaCertPem = etcd.cert.certPem;
        this.etcdCaKeyPem = pulumi.secret(etcd.key.privateKeyPem);
        this.encryptionKey = pulumi.secret(new random.RandomBytes(`${name}-encryption-key`, { length: 32 }, parent).base64);

        this.registerOutputs({ caCertPem: this.caCertPem, discoveryHash: this.discoveryHash, serviceAccountJwks: this.serviceAccountJwks });
    }
}
