import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { discoveryTokenCaCertHash, Jwk, serviceAccountJwks } from "./pki";

/** kubeadm (1.29+) binds this group to cluster-admin; `system:masters` stays a break-glass identity. */
export const ADMIN_GROUP = "kubeadm:cluster-admins";
export const ADMIN_USER = "boutique-platform-admin";

const CA_VALIDITY_HOURS = 10 * 365 * 24;
const ADMIN_CERT_VALIDITY_HOURS = 365 * 24;
/** Renewed on the first `pulumi up` in the last 30 days of the admin certificate. */
const ADMIN_CERT_EARLY_RENEWAL_HOURS = 30 * 24;

export interface ClusterPkiArgs {
    readonly clusterName: string;
}

/**
 * Key material the program owns instead of reading it back from the first control plane:
 * kubeadm keeps a CA and a service-account key that are already in place, so the discovery
 * hash, the cluster's JWKS and an admin kubeconfig are all known before the cluster exists.
 * Every private value is a Pulumi secret.
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
    /** 32 random bytes, hex: encrypts the control-plane certificates kubeadm shares through a Secret. */
    readonly certificateKey: pulumi.Output<string>;
    /** 32 random bytes, base64: the secretbox key that encrypts Secrets at rest. */
    readonly encryptionKey: pulumi.Output<string>;

    constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:ClusterPki", name, {}, opts);
        const parent = { parent: this };

        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "RSA", rsaBits: 2048 }, parent);
        const caCert = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName: "kubernetes", organization: args.clusterName },
                validityPeriodHours: CA_VALIDITY_HOURS,
                allowedUses: ["cert_signing", "key_encipherment", "digital_signature"],
            },
            parent,
        );
        this.caCertPem = caCert.certPem;
        this.caKeyPem = pulumi.secret(caKey.privateKeyPem);
        this.discoveryHash = caKey.publicKeyPem.apply(discoveryTokenCaCertHash);

        const saKey = new tls.PrivateKey(`${name}-service-account-key`, { algorithm: "RSA", rsaBits: 2048 }, parent);
        this.serviceAccountKeyPem = pulumi.secret(saKey.privateKeyPem);
        this.serviceAccountPublicKeyPem = saKey.publicKeyPem;
        this.serviceAccountJwks = saKey.publicKeyPem.apply(serviceAccountJwks);

        const adminKey = new tls.PrivateKey(`${name}-admin-key`, { algorithm: "RSA", rsaBits: 2048 }, parent);
        const adminRequest = new tls.CertRequest(
            `${name}-admin-csr`,
            { privateKeyPem: adminKey.privateKeyPem, subject: { commonName: ADMIN_USER, organization: ADMIN_GROUP } },
            parent,
        );
        const adminCert = new tls.LocallySignedCert(
            `${name}-admin-cert`,
            {
                certRequestPem: adminRequest.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: caCert.certPem,
                validityPeriodHours: ADMIN_CERT_VALIDITY_HOURS,
                earlyRenewalHours: ADMIN_CERT_EARLY_RENEWAL_HOURS,
                allowedUses: ["client_auth", "digital_signature", "key_encipherment"],
            },
            parent,
        );
        this.adminCertPem = adminCert.certPem;
        this.adminKeyPem = pulumi.secret(adminKey.privateKeyPem);

        this.certificateKey = pulumi.secret(new random.RandomBytes(`${name}-certificate-key`, { length: 32 }, parent).hex);
        this.encryptionKey = pulumi.secret(new random.RandomBytes(`${name}-encryption-key`, { length: 32 }, parent).base64);

        this.registerOutputs({ caCertPem: this.caCertPem, discoveryHash: this.discoveryHash, serviceAccountJwks: this.serviceAccountJwks });
    }
}
