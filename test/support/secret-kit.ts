import * as crypto from "crypto";
import { renderEncryptionConfiguration } from "../../components/cluster/rendered/control-plane-files";
import { renderKubeconfig } from "../../components/cluster/rendered/kubeconfig";
import { CommandRecord } from "./argv-recorder";

/**
 * The secrets a node holds or handles, with distinctive values, and the search for them in
 * recorded command lines: in the clear, a PEM body line, or base64 at any alignment (as a bundle
 * line or a kubeconfig's client-key-data would carry them).
 */

export interface Secret {
    readonly name: string;
    readonly value: string;
}

const ecKeyPem = (): string => crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** A kubeconfig whose client key is `keyPem` (the certificate is not checked by anything here). */
const kubeconfigWithKey = (user: string, keyPem: string): string =>
    renderKubeconfig({
        clusterName: "boutique",
        server: "https://10.10.0.2:6443",
        caCertPem: "-----BEGIN CERTIFICATE-----\nY2EgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        userName: user,
        clientCertPem: "-----BEGIN CERTIFICATE-----\nY2xpZW50IGNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n",
        clientKeyPem: keyPem,
    });

export class SecretKit {
    /** A well-formed bootstrap token; its second half is the secret part (the id is public). */
    readonly bootstrapToken = "argv01.s3cr3tt0k3nleak9";
    readonly adminKeyPem = ecKeyPem();
    readonly adminKubeconfig = kubeconfigWithKey("kubernetes-admin", this.adminKeyPem);
    readonly kubeletKeyPem = ecKeyPem();
    readonly kubeletKubeconfig = kubeconfigWithKey("system:node:boutique-worker-3", this.kubeletKeyPem);
    readonly caKeyPem = ecKeyPem();
    readonly frontProxyCaKeyPem = ecKeyPem();
    readonly etcdCaKeyPem = ecKeyPem();
    readonly etcdClientKeyPem = ecKeyPem();
    /** RSA: the etcd scripts sign their Google tokens with it (openssl), and the fake Google checks them. */
    readonly serviceAccountKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    readonly serviceAccountKeyPem = this.serviceAccountKey.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    readonly encryptionKey = crypto.randomBytes(32).toString("base64");
    readonly encryptionConfig = renderEncryptionConfiguration(this.encryptionKey);
    readonly sshKeyPem = crypto.generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    /** What the fake metadata server answers the node's image credential provider. */
    readonly metadataToken = `ya29.metadata-${crypto.randomBytes(24).toString("base64url")}`;

    get serviceAccountPublicKeyPem(): string {
        return this.serviceAccountKey.publicKey.export({ type: "spki", format: "pem" }).toString();
    }

    /** Every secret above, named; whole kubeconfigs are not listed: their keys are. */
    secrets(): Secret[] {
        return [
            { name: "bootstrap token", value: this.bootstrapToken },
            { name: "bootstrap token secret", value: this.bootstrapToken.split(".")[1] },
            { name: "admin client key", value: this.adminKeyPem },
            { name: "kubelet client key", value: this.kubeletKeyPem },
            { name: "cluster CA key", value: this.caKeyPem },
            { name: "front-proxy CA key", value: this.frontProxyCaKeyPem },
            { name: "etcd CA key", value: this.etcdCaKeyPem },
            { name: "etcd client key", value: this.etcdClientKeyPem },
            { name: "service-account signing key", value: this.serviceAccountKeyPem },
            { name: "encryption key", value: this.encryptionKey },
            { name: "SSH join key", value: this.sshKeyPem },
            { name: "metadata access token", value: this.metadataToken },
        ];
    }
}

/** Base64 of `value` inside any larger stream: one encoding per offset modulo 3, minus the edges it shares. */
function base64Cores(value: string): string[] {
    const bytes = Buffer.from(value);
    return [0, 1, 2]
        .map((offset) => {
            const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
            return encoded.slice(offset === 0 ? 0 : 4, -4);
        })
        .filter((core) => core.length >= 12);
}

/** What a command line would show if it disclosed `value`. */
export function needles(value: string): string[] {
    const lines = value.split("\n").filter((line) => line.length >= 16 && !line.startsWith("-----"));
    const clear = lines.length > 0 ? lines : [value];
    return [...new Set([...clear, ...base64Cores(value)])];
}

export interface Leak {
    readonly secret: string;
    readonly record: CommandRecord;
}

/** Every (secret, command) pair where the command's arguments hold the secret in any of its forms. */
export function findLeaks(records: readonly CommandRecord[], secrets: readonly Secret[]): Leak[] {
    const searched = secrets.map((secret) => ({ secret, forms: needles(secret.value) }));
    return records.flatMap((record) => {
        const line = [record.tool, ...record.args].join("\0");
        return searched.filter(({ forms }) => forms.some((form) => line.includes(form))).map(({ secret }) => ({ secret: secret.name, record }));
    });
}
