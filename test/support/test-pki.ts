import * as crypto from "crypto";
import forge from "node-forge";

/** A PEM key pair and certificate. */
export interface Issued {
    readonly certPem: string;
    readonly keyPem: string;
}

function keyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
    // Node's native generator: forge's pure-JS RSA would take seconds per key.
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const forgeKey = forge.pki.privateKeyFromPem(keyPem);
    return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

let serial = 1;

function certificate(
    commonName: string,
    publicKey: forge.pki.PublicKey,
    issuer: forge.pki.CertificateField[] | undefined,
    extensions: object[],
): forge.pki.Certificate {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    cert.serialNumber = (serial++).toString(16).padStart(2, "0");
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
    const subject = [{ name: "commonName", value: commonName }];
    cert.setSubject(subject);
    cert.setIssuer(issuer ?? subject);
    cert.setExtensions(extensions);
    return cert;
}

/** A self-signed CA. */
export function testCa(commonName: string): Issued & { readonly sign: (cert: forge.pki.Certificate) => void; readonly subject: forge.pki.CertificateField[] } {
    const keys = keyPair();
    const cert = certificate(commonName, keys.publicKey, undefined, [
        { name: "basicConstraints", cA: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true },
    ]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return {
        certPem: forge.pki.certificateToPem(cert),
        keyPem: keys.keyPem,
        sign: (leaf) => leaf.sign(keys.privateKey, forge.md.sha256.create()),
        subject: cert.subject.attributes,
    };
}

/** A leaf certificate from `ca`: a server one with SANs (IPs or DNS names), or a client one. */
export function issue(ca: ReturnType<typeof testCa>, commonName: string, use: { server: readonly string[] } | "client"): Issued {
    const keys = keyPair();
    const extensions: object[] = [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
    ];
    if (use === "client") {
        extensions.push({ name: "extKeyUsage", clientAuth: true });
    } else {
        extensions.push({ name: "extKeyUsage", serverAuth: true });
        extensions.push({
            name: "subjectAltName",
            altNames: use.server.map((name) => (/^[\d.]+$/.test(name) ? { type: 7, ip: name } : { type: 2, value: name })),
        });
    }
    const cert = certificate(commonName, keys.publicKey, ca.subject, extensions);
    ca.sign(cert);
    return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}
