import * as crypto from "crypto";
import * as forge from "node-forge";
import { deriveEcdsaKey, deriveEd25519Key, DeterministicRandom, deriveRsaKey } from "./mock-random";

/**
 * Real keys and certificates for the mock tls provider, so the program's own crypto (discovery
 * hash, JWKS, kubeconfig) runs on genuine material offline. Certificates use RSA keys (what
 * the program uses for its CA); node-forge does the X.509 work.
 */

export interface MockKeyPair {
    readonly privateKeyPem: string;
    readonly privateKeyPemPkcs8: string;
    /** Node cannot write OpenSSH's own private-key format; OpenSSH also reads PKCS#8 PEM. */
    readonly privateKeyOpenssh: string;
    readonly publicKeyPem: string;
    readonly publicKeyOpenssh: string;
    readonly publicKeyFingerprintSha256: string;
}

export interface CertificateSubject {
    readonly commonName?: string;
    readonly organization?: string;
}

function sshString(data: Buffer): Buffer {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
}

function sshMpint(base64url: string): Buffer {
    let bytes = Buffer.from(base64url, "base64url");
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return sshString(bytes);
}

/** The OpenSSH public key line ("ssh-ed25519 AAAA..." / "ssh-rsa AAAA..."). */
function opensshPublicKey(key: crypto.KeyObject): string {
    const jwk = key.export({ format: "jwk" });
    if (key.asymmetricKeyType === "ed25519" && jwk.x) {
        const blob = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(Buffer.from(jwk.x, "base64url"))]);
        return `ssh-ed25519 ${blob.toString("base64")}\n`;
    }
    if (key.asymmetricKeyType === "rsa" && jwk.e && jwk.n) {
        const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), sshMpint(jwk.e), sshMpint(jwk.n)]);
        return `ssh-rsa ${blob.toString("base64")}\n`;
    }
    return "";
}

function newPrivateKey(algorithm: string, rsaBits: number, ecdsaCurve: string, random: DeterministicRandom | undefined): crypto.KeyObject {
    if (random) {
        if (algorithm === "ED25519") return deriveEd25519Key(random);
        if (algorithm === "ECDSA") return deriveEcdsaKey(random, ecdsaCurve);
        return deriveRsaKey(random, rsaBits);
    }
    if (algorithm === "ED25519") return crypto.generateKeyPairSync("ed25519").privateKey;
    if (algorithm === "ECDSA") return crypto.generateKeyPairSync("ec", { namedCurve: ecdsaCurve.replace(/^P/, "P-") }).privateKey;
    return crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits }).privateKey;
}

/**
 * Key pairs derived from a stream, by stream id and parameters: a key depends on nothing else,
 * and the test suite evaluates the program dozens of times in one process, so each is made once.
 */
const derivedKeyPairs = new Map<string, MockKeyPair>();

/** A fresh random key pair, or, given a fresh (unread) stream `random`, the one derived from it. */
export function generateKeyPair(algorithm: string, rsaBits = 2048, ecdsaCurve = "P256", random?: DeterministicRandom): MockKeyPair {
    const memoKey = random && `${random.id}:${algorithm}:${rsaBits}:${ecdsaCurve}`;
    const known = memoKey ? derivedKeyPairs.get(memoKey) : undefined;
    if (known) return known;
    const pair = keyPairOf(algorithm, newPrivateKey(algorithm, rsaBits, ecdsaCurve, random));
    if (memoKey) derivedKeyPairs.set(memoKey, pair);
    return pair;
}

function keyPairOf(algorithm: string, privateKey: crypto.KeyObject): MockKeyPair {
    const publicKey = crypto.createPublicKey(privateKey);
    const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const traditional =
        algorithm === "RSA"
            ? privateKey.export({ type: "pkcs1", format: "pem" }).toString()
            : algorithm === "ECDSA"
              ? privateKey.export({ type: "sec1", format: "pem" }).toString()
              : pkcs8;
    const openssh = opensshPublicKey(publicKey);
    const blob = openssh ? Buffer.from(openssh.split(" ")[1], "base64") : Buffer.alloc(0);
    return {
        privateKeyPem: traditional,
        privateKeyPemPkcs8: pkcs8,
        privateKeyOpenssh: pkcs8,
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
        publicKeyOpenssh: openssh,
        publicKeyFingerprintSha256: `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
    };
}

function forgeSubject(subject: CertificateSubject | undefined): forge.pki.CertificateField[] {
    const fields: forge.pki.CertificateField[] = [];
    if (subject?.commonName) fields.push({ name: "commonName", value: subject.commonName });
    if (subject?.organization) fields.push({ name: "organizationName", value: subject.organization });
    return fields;
}

/**
 * Mock certificates' validity: a render must not depend on the clock, and certificates do reach
 * written files (a CA's certPem is an input of the certificates it signs, in resources.json).
 * A fixed start plus the requested period would expire (leaves ask for a year) and break the
 * tests that run real mTLS with the program's certificates, so every mock certificate runs from
 * a fixed date to RFC 5280's "no well-defined expiration" (99991231235959Z); the requested
 * period is the real provider's business and is not modelled offline.
 */
const NOT_BEFORE = new Date("2025-01-01T00:00:00Z");
const NOT_AFTER = new Date("9999-12-31T23:59:59Z");

function newCertificate(
    publicKey: forge.pki.PublicKey,
    subject: CertificateSubject | undefined,
    random: DeterministicRandom | undefined,
): forge.pki.Certificate {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    // 64 bits, the first nibble made 1..7 so the DER integer is positive and without padding.
    cert.serialNumber = (random ? random.bytes(8) : crypto.randomBytes(8)).toString("hex").replace(/^[089a-f]/, "1");
    cert.validity.notBefore = NOT_BEFORE;
    cert.validity.notAfter = NOT_AFTER;
    cert.setSubject(forgeSubject(subject));
    return cert;
}

/**
 * `validityHours` is accepted as the tls provider takes it, and ignored (see NOT_AFTER);
 * `random` gives the serial number (else a fresh random one).
 */
export function selfSignedCertificate(
    privateKeyPem: string,
    subject: CertificateSubject | undefined,
    _validityHours: number,
    isCa: boolean,
    random?: DeterministicRandom,
): string {
    const key = forge.pki.privateKeyFromPem(privateKeyPem);
    const cert = newCertificate(forge.pki.setRsaPublicKey(key.n, key.e), subject, random);
    cert.setIssuer(forgeSubject(subject));
    cert.setExtensions([
        { name: "basicConstraints", cA: isCa },
        { name: "keyUsage", keyCertSign: isCa, digitalSignature: true, keyEncipherment: true },
    ]);
    cert.sign(key, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
}

export function certificateRequest(privateKeyPem: string, subject: CertificateSubject | undefined, dnsNames: readonly string[] = []): string {
    const key = forge.pki.privateKeyFromPem(privateKeyPem);
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    csr.setSubject(forgeSubject(subject));
    // DNS = type 2 in GeneralName.
    if (dnsNames.length > 0)
        csr.setAttributes([{ name: "extensionRequest", extensions: [{ name: "subjectAltName", altNames: dnsNames.map((value) => ({ type: 2, value })) }] }]);
    csr.sign(key, forge.md.sha256.create());
    return forge.pki.certificationRequestToPem(csr);
}

/**
 * Signs as the tls provider does: the request's SANs are kept, `allowedUses` become the extended
 * key usages. Validity and serial as for selfSignedCertificate.
 */
export function signCertificateRequest(
    requestPem: string,
    caCertPem: string,
    caPrivateKeyPem: string,
    _validityHours: number,
    allowedUses: readonly string[] = ["client_auth"],
    random?: DeterministicRandom,
): string {
    const csr = forge.pki.certificationRequestFromPem(requestPem);
    const ca = forge.pki.certificateFromPem(caCertPem);
    if (!csr.publicKey) throw new Error("certificate request has no public key");
    const cert = newCertificate(csr.publicKey, undefined, random);
    cert.setSubject(csr.subject.attributes);
    cert.setIssuer(ca.subject.attributes);
    const requested = (csr.getAttribute({ name: "extensionRequest" }) as { extensions?: object[] } | null)?.extensions ?? [];
    cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "extKeyUsage", clientAuth: allowedUses.includes("client_auth"), serverAuth: allowedUses.includes("server_auth") },
        ...requested,
    ]);
    cert.sign(forge.pki.privateKeyFromPem(caPrivateKeyPem), forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
}
