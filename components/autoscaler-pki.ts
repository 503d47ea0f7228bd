import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

const CA_VALIDITY_HOURS = 10 * 365 * 24;
const LEAF_VALIDITY_HOURS = 365 * 24;
// Inside this window before expiry, the next `pulumi up` (CI's, not a scale update) renews a leaf.
const LEAF_EARLY_RENEWAL_HOURS = 30 * 24;

export interface AutoscalerPkiArgs {
    readonly clusterName: string;
    /** Names the scaler answers to; the first is the host the autoscaler dials (its TLS server name). */
    readonly serverDnsNames: readonly string[];
}

export interface CertificateAndKey {
    readonly certPem: pulumi.Output<string>;
    /** Secret. */
    readonly keyPem: pulumi.Output<string>;
}

/**
 * The mTLS pair between the Cluster Autoscaler and the scaler, from a CA of their own (not the
 * cluster's): the scaler trusts exactly the clients this CA signed, the autoscaler verifies the
 * scaler's name against the server certificate's SANs.
 */
export class AutoscalerPki extends pulumi.ComponentResource {
    readonly caCertPem: pulumi.Output<string>;
    readonly server: CertificateAndKey;
    readonly client: CertificateAndKey;

    constructor(name: string, args: AutoscalerPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:AutoscalerPki", name, {}, opts);
        if (args.serverDnsNames.length === 0) throw new Error("the server certificate needs at least one DNS name");
        const parent = { parent: this };
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "RSA", rsaBits: 2048 }, parent);
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName: "cluster-autoscaler provider CA", organization: args.clusterName },
                validityPeriodHours: CA_VALIDITY_HOURS,
                allowedUses: ["cert_signing", "digital_signature", "key_encipherment"],
            },
            parent,
        );
        const leaf = (role: "server" | "client", commonName: string, dnsNames: readonly string[]): CertificateAndKey => {
            const key = new tls.PrivateKey(`${name}-${role}-key`, { algorithm: "RSA", rsaBits: 2048 }, parent);
            const request = new tls.CertRequest(`${name}-${role}-csr`, { privateKeyPem: key.privateKeyPem, subject: { commonName, organization: args.clusterName }, dnsNames: [...dnsNames] }, parent);
            const cert = new tls.LocallySignedCert(
                `${name}-${role}-cert`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: LEAF_VALIDITY_HOURS,
                    earlyRenewalHours: LEAF_EARLY_RENEWAL_HOURS,
                    allowedUses: [role === "server" ? "server_auth" : "client_auth", "digital_signature", "key_encipherment"],
                },
                parent,
            );
            return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
        };
        this.caCertPem = ca.certPem;
        this.server = leaf("server", args.serverDnsNames[0], args.serverDnsNames);
        this.client = leaf("client", "cluster-autoscaler", []);
        this.registerOutputs({ caCertPem: this.caCertPem });
    }
}
