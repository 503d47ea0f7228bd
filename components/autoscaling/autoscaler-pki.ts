import * as pulumi from "@pulumi/pulumi";
import { certificateAuthority, IssuedCertificate, issueCertificate } from "../shared/certificates";

export interface AutoscalerPkiArgs {
    readonly clusterName: string;
    /** Names the scaler answers to; the first is the host the autoscaler dials (its TLS server name). */
    readonly serverDnsNames: readonly string[];
}

/**
 * The mTLS pair between the Cluster Autoscaler and the scaler, from a CA of their own (not the
 * cluster's): the scaler trusts exactly the clients this CA signed, the autoscaler verifies the
 * scaler's name against the server certificate's SANs.
 *
 * Leaves live a year and are re-issued by the first full `pulumi up` in their last 30 days
 * (LEAF_VALIDITY_HOURS, LEAF_EARLY_RENEWAL_HOURS: the provider plans a replacement once a
 * certificate is ready for renewal); CI's `up` on the default branch is that update, a scale
 * update never is (it targets the worker pool). Neither side needs a restart by hand: the scaler
 * re-reads its files, and the autoscaler's pod template carries a checksum of its certificate.
 */
export class AutoscalerPki extends pulumi.ComponentResource {
    readonly caCertPem: pulumi.Output<string>;
    readonly server: IssuedCertificate;
    readonly client: IssuedCertificate;

    constructor(name: string, args: AutoscalerPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:AutoscalerPki", name, {}, opts);
        if (args.serverDnsNames.length === 0) throw new Error("the server certificate needs at least one DNS name");
        const parent = { parent: this };
        const organization = args.clusterName;
        const ca = certificateAuthority(name, { commonName: "cluster-autoscaler provider CA", organization }, parent);
        this.caCertPem = ca.cert.certPem;
        this.server = issueCertificate(
            name,
            "server",
            ca,
            { subject: { commonName: args.serverDnsNames[0], organization }, use: "server_auth", dnsNames: args.serverDnsNames },
            parent,
        );
        this.client = issueCertificate(name, "client", ca, { subject: { commonName: "cluster-autoscaler", organization }, use: "client_auth" }, parent);
        this.registerOutputs({ caCertPem: this.caCertPem });
    }
}
