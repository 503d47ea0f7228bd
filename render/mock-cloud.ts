import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockCallArgs, MockResourceArgs, MockResourceResult, Mocks } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { certificateRequest, CertificateSubject, generateKeyPair, selfSignedCertificate, signCertificateRequest } from "./mock-pki";

type State = Record<string, unknown>;

/** Mock inputs keep secrets wrapped in signature objects; the mock works on the plain values. */
export function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    if (record[specialSigKey] === specialSecretSig) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, unwrapSecrets(inner)]));
}

function shortHash(text: string, length = 7): string {
    return crypto.createHash("sha256").update(text).digest("hex").slice(0, length);
}

function randomToken(length: number): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    return Array.from(crypto.randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
}

function gcpProject(inputs: State): string {
    return String(inputs.project ?? pulumi.runtime.allConfig()["gcp:project"] ?? "mock-project");
}

/**
 * Stands in for the cloud and the providers under Pulumi's mock runtime: answers each new
 * resource with the outputs its provider would give (addresses, e-mails, keys, certificates).
 *
 * Generated values are remembered per resource type, name and inputs, so evaluating the program
 * twice with one MockCloud (as `render --diff` does) yields identical values for resources the
 * change does not touch: only real differences show up in the diff.
 */
export class MockCloud implements Mocks {
    private readonly memory = new Map<string, State>();
    private externalAddresses = 0;

    newResource(args: MockResourceArgs): MockResourceResult {
        const inputs = unwrapSecrets(args.inputs) as State;
        const memoKey = `${args.type}::${args.name}::${shortHash(JSON.stringify(inputs), 16)}`;
        let outputs = this.memory.get(memoKey);
        if (!outputs) {
            outputs = this.outputsFor(args.type, args.name, inputs);
            this.memory.set(memoKey, outputs);
        }
        return { id: `${args.name}-id`, state: { ...args.inputs, ...outputs } };
    }

    call(args: MockCallArgs): Record<string, unknown> {
        if (args.token === "gcp:organizations/getProject:getProject") {
            const projectId = String(args.inputs.projectId ?? gcpProject(args.inputs));
            // A project number is 12 digits; derived from the id so it is stable across evaluations.
            return { projectId, number: String(BigInt(`0x${shortHash(projectId, 12)}`) % 900000000000n + 100000000000n) };
        }
        throw new Error(`the offline mock runtime has no answer for the invoke ${args.token}; add one to render/mock-cloud.ts`);
    }

    private outputsFor(type: string, name: string, inputs: State): State {
        const autoName = type.startsWith("gcp:compute/") && inputs.name === undefined ? { name: `${name}-${shortHash(name)}` } : {};
        switch (type) {
            case "tls:index/privateKey:PrivateKey":
                return { ...generateKeyPair(String(inputs.algorithm), Number(inputs.rsaBits ?? 2048), String(inputs.ecdsaCurve ?? "P224")) };
            case "tls:index/selfSignedCert:SelfSignedCert":
                return {
                    certPem: selfSignedCertificate(String(inputs.privateKeyPem), inputs.subject as CertificateSubject, Number(inputs.validityPeriodHours), inputs.isCaCertificate === true),
                };
            case "tls:index/certRequest:CertRequest":
                return { certRequestPem: certificateRequest(String(inputs.privateKeyPem), inputs.subject as CertificateSubject, (inputs.dnsNames as string[] | undefined) ?? []) };
            case "tls:index/locallySignedCert:LocallySignedCert":
                return {
                    certPem: signCertificateRequest(String(inputs.certRequestPem), String(inputs.caCertPem), String(inputs.caPrivateKeyPem), Number(inputs.validityPeriodHours), (inputs.allowedUses as string[] | undefined) ?? []),
                };
            case "random:index/randomBytes:RandomBytes": {
                const bytes = crypto.randomBytes(Number(inputs.length));
                return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
            }
            case "random:index/randomId:RandomId": {
                const bytes = crypto.randomBytes(Number(inputs.byteLength));
                return { hex: bytes.toString("hex"), b64Url: bytes.toString("base64url"), b64Std: bytes.toString("base64"), dec: BigInt(`0x${bytes.toString("hex")}`).toString() };
            }
            case "random:index/randomPassword:RandomPassword":
                return { result: randomToken(Number(inputs.length)) };
            case "gcp:compute/address:Address":
                // External addresses come from TEST-NET-3 (RFC 5737): documentation-only, never routable.
                return {
                    ...autoName,
                    address: inputs.addressType === "INTERNAL" ? inputs.address : `203.0.113.${10 + this.externalAddresses++}`,
                    selfLink: `https://www.googleapis.com/compute/v1/projects/${gcpProject(inputs)}/regions/${String(inputs.region)}/addresses/${String(autoName.name ?? inputs.name ?? name)}`,
                };
            case "gcp:compute/instance:Instance":
                return {
                    instanceId: String(BigInt(`0x${shortHash(name, 15)}`)),
                    selfLink: `https://www.googleapis.com/compute/v1/projects/${gcpProject(inputs)}/zones/${String(inputs.zone)}/instances/${String(inputs.name)}`,
                };
            case "gcp:serviceaccount/account:Account": {
                const email = `${String(inputs.accountId)}@${gcpProject(inputs)}.iam.gserviceaccount.com`;
                return { email, name: `projects/${gcpProject(inputs)}/serviceAccounts/${email}`, member: `serviceAccount:${email}`, uniqueId: String(BigInt(`0x${shortHash(name, 15)}`)) };
            }
            case "command:remote:Command":
                // The remote machine's side of the scripts' contracts: the token script prints a token.
                return { stdout: String(inputs.create ?? "").includes("kubeadm token create") ? `${randomToken(6)}.${randomToken(16)}\n` : "", stderr: "" };
            default:
                return { ...autoName, ...(type.startsWith("gcp:compute/") ? { selfLink: `projects/${gcpProject(inputs)}/mock/${name}` } : {}) };
        }
    }
}
