import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** CAs live ten years; leaves one, renewed by the first `pulumi up` in their last 30 days. */
export const CA_VALIDITY_HOURS = 10 * 365 * 24;
export const LEAF_VALIDITY_HOURS = 365 * 24;
export const LEAF_EARLY_RENEWAL_HOURS = 30 * 24;

export interface Subject {
    readonly commonName: string;
    readonly organization: string;
}

/** A program-owned CA (RSA 2048): `<name>-ca-key` and the self-signed `<name>-ca`. */
export interface CertificateAuthority {
    readonly key: tls.PrivateKey;
    readonly cert: tls.SelfSignedCert;
}

export function certificateAuthority(name: string, subject: Subject, opts: pulumi.CustomResourceOptions): CertificateAuthority {
    const key = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "RSA", rsaBits: 2048 }, opts);
    const cert = new tls.SelfSignedCert(
        `${name}-ca`,
        {
            privateKeyPem: key.privateKeyPem,
            isCaCertificate: true,
            subject,
            validityPeriodHours: CA_VALIDITY_HOURS,
            allowedUses: ["cert_signing", "key_encipherment", "digital_signature"],
        },
        opts,
    );
    return { key, cert };
}

export interface IssuedCertificate {
    readonly certPem: pulumi.Output<string>;
    /** Secret. */
    readonly keyPem: pulumi.Output<string>;
}

/**
 * A leaf signed by `ca`: `<name>-<role>-key`, `-csr` and `-cert`. `use` is its extended key
 * usage; a server's `dnsNames` are the names clients check.
 */
export function issueCertificate(
    name: string,
    role: string,
    ca: CertificateAuthority,
    leaf: { readonly subject: Subject; readonly use: "client_auth" | "server_auth"; readonly dnsNames?: readonly string[] },
    opts: pulumi.CustomResourceOptions,
): IssuedCertificate {
    const key = new tls.PrivateKey(`${name}-${role}-key`, { algorithm: "RSA", rsaBits: 2048 }, opts);
    const request = new tls.CertRequest(
        `${name}-${role}-csr`,
        { privateKeyPem: key.privateKeyPem, subject: leaf.subject, ...(leaf.dnsNames ? { dnsNames: [...leaf.dnsNames] } : {}) },
        opts,
    );
    const cert = new tls.LocallySignedCert(
        `${name}-${role}-cert`,
        {
            certRequestPem: request.certRequestPem,
            caPrivateKeyPem: ca.key.privateKeyPem,
            caCertPem: ca.cert.certPem,
            validityPeriodHours: LEAF_VALIDITY_HOURS,
            earlyRenewalHours: LEAF_EARLY_RENEWAL_HOURS,
            allowedUses: [leaf.use, "digital_signature", "key_encipherment"],
        },
        opts,
    );
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
}
