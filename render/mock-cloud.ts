import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockCallArgs, MockResourceArgs, MockResourceResult, Mocks } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { certificateRequest, CertificateSubject, generateKeyPair, selfSignedCertificate, signCertificateRequest } from "./mock-pki";
import { DeterministicRandom, mockBcryptHash } from "./mock-random";
import { textOr } from "../config/records";

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

const LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Config that names a different cluster: a stack that changes it gets other keys, as a new
 * cluster would. Other config (worker counts, images...) must not change any generated value.
 */
const IDENTITY_CONFIG_KEYS = ["clusterName"] as const;

/** "<project>/<stack>[/<clusterName>]": what every generated value of this evaluation derives from. */
function stackSeed(): string {
    const project = pulumi.getProject();
    const config = pulumi.runtime.allConfig();
    const identity = IDENTITY_CONFIG_KEYS.map((key) => config[`${project}:${key}`]).filter((value) => value !== undefined);
    return [project, pulumi.getStack(), ...identity].join("/");
}

/**
 * The stream for one purpose of one resource: from the stack and the resource's type and name,
 * not its inputs, so a resource keeps its values when unrelated config changes.
 */
function resourceRandom(type: string, name: string, purpose: string): DeterministicRandom {
    return new DeterministicRandom(stackSeed(), `${type}::${name}::${purpose}`);
}

function gcpProject(inputs: State): string {
    return textOr(inputs.project, pulumi.runtime.allConfig()["gcp:project"] ?? "mock-project", "project");
}

/**
 * Stands in for the cloud and the providers under Pulumi's mock runtime: answers each new
 * resource with the outputs its provider would give (addresses, e-mails, keys, certificates).
 *
 * Every generated value (keys, serials, ids, passwords, tokens) derives from the stack and the
 * resource's type and name (resourceRandom), so a render is a pure function of its config; only
 * a command's output also follows its inputs, as a re-run's would.
 * Outputs are also remembered per resource type, name and inputs, so evaluating the program
 * twice with one MockCloud (as `render --diff` does) also keeps the order-dependent external
 * addresses of untouched resources: only real differences show up in the diff.
 */
export class MockCloud implements Mocks {
    private readonly memory = new Map<string, State>();
    private externalAddresses = 0;
    /**
     * The outputs of the stack's last update, as the program's reference to its own stack reads
     * them: none (a new stack) unless set, e.g. to the base evaluation's outputs by `render --diff`.
     */
    deployedOutputs: Readonly<Record<string, unknown>> = {};

    newResource(args: MockResourceArgs): MockResourceResult {
        // Pulumi types a resource's inputs as any: they are its input properties by name.
        const given = args.inputs as State;
        if (args.type === "pulumi:pulumi:StackReference") {
            return { id: String(given.name), state: { name: given.name, outputs: { ...this.deployedOutputs }, secretOutputNames: [] } };
        }
        const inputs = unwrapSecrets(given) as State;
        const inputsDigest = shortHash(JSON.stringify(inputs), 16);
        const memoKey = `${args.type}::${args.name}::${inputsDigest}`;
        let outputs = this.memory.get(memoKey);
        if (!outputs) {
            outputs = this.outputsFor(args.type, args.name, inputs, inputsDigest);
            this.memory.set(memoKey, outputs);
        }
        return { id: `${args.name}-id`, state: { ...given, ...outputs } };
    }

    call(args: MockCallArgs): Record<string, unknown> {
        if (args.token === "gcp:organizations/getProject:getProject") {
            // Pulumi types an invoke's arguments as any: they are its arguments by name.
            const given = args.inputs as State;
            const projectId = textOr(given.projectId, gcpProject(given), "projectId");
            // A project number is 12 digits; derived from the id so it is stable across evaluations.
            return { projectId, number: String((BigInt(`0x${shortHash(projectId, 12)}`) % 900000000000n) + 100000000000n) };
        }
        throw new Error(`the offline mock runtime has no answer for the invoke ${args.token}; add one to render/mock-cloud.ts`);
    }

    private outputsFor(type: string, name: string, inputs: State, inputsDigest: string): State {
        const random = (purpose: string) => resourceRandom(type, name, purpose);
        const autoName = type.startsWith("gcp:compute/") && inputs.name === undefined ? { name: `${name}-${shortHash(name)}` } : {};
        switch (type) {
            case "tls:index/privateKey:PrivateKey":
                return {
                    ...generateKeyPair(
                        String(inputs.algorithm),
                        Number(inputs.rsaBits ?? 2048),
                        textOr(inputs.ecdsaCurve, "P224", "ecdsaCurve"),
                        random("key"),
                    ),
                };
            case "tls:index/selfSignedCert:SelfSignedCert":
                return {
                    certPem: selfSignedCertificate(
                        String(inputs.privateKeyPem),
                        inputs.subject as CertificateSubject,
                        Number(inputs.validityPeriodHours),
                        inputs.isCaCertificate === true,
                        random("serial"),
                    ),
                };
            case "tls:index/certRequest:CertRequest":
                return {
                    certRequestPem: certificateRequest(
                        String(inputs.privateKeyPem),
                        inputs.subject as CertificateSubject,
                        (inputs.dnsNames as string[] | undefined) ?? [],
                    ),
                };
            case "tls:index/locallySignedCert:LocallySignedCert":
                return {
                    certPem: signCertificateRequest(
                        String(inputs.certRequestPem),
                        String(inputs.caCertPem),
                        String(inputs.caPrivateKeyPem),
                        Number(inputs.validityPeriodHours),
                        (inputs.allowedUses as string[] | undefined) ?? [],
                        random("serial"),
                    ),
                };
            case "random:index/randomBytes:RandomBytes": {
                const bytes = random("bytes").bytes(Number(inputs.length));
                return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
            }
            case "random:index/randomId:RandomId": {
                const bytes = random("id").bytes(Number(inputs.byteLength));
                return {
                    hex: bytes.toString("hex"),
                    b64Url: bytes.toString("base64url"),
                    b64Std: bytes.toString("base64"),
                    dec: BigInt(`0x${bytes.toString("hex")}`).toString(),
                };
            }
            case "random:index/randomPassword:RandomPassword": {
                const result = random("password").string(Number(inputs.length), LOWER_DIGITS);
                return { result, bcryptHash: mockBcryptHash(random("bcrypt"), result) };
            }
            case "gcp:compute/address:Address":
                // External addresses come from TEST-NET-3 (RFC 5737): documentation-only, never routable.
                return {
                    ...autoName,
                    address: inputs.addressType === "INTERNAL" ? inputs.address : `203.0.113.${10 + this.externalAddresses++}`,
                    selfLink: `https://www.googleapis.com/compute/v1/projects/${gcpProject(inputs)}/regions/${String(inputs.region)}/addresses/${autoName.name ?? textOr(inputs.name, name, "name")}`,
                };
            case "gcp:compute/instance:Instance":
                return {
                    instanceId: String(BigInt(`0x${shortHash(name, 15)}`)),
                    selfLink: `https://www.googleapis.com/compute/v1/projects/${gcpProject(inputs)}/zones/${String(inputs.zone)}/instances/${String(inputs.name)}`,
                };
            case "gcp:serviceaccount/account:Account": {
                const email = `${String(inputs.accountId)}@${gcpProject(inputs)}.iam.gserviceaccount.com`;
                return {
                    email,
                    name: `projects/${gcpProject(inputs)}/serviceAccounts/${email}`,
                    member: `serviceAccount:${email}`,
                    uniqueId: String(BigInt(`0x${shortHash(name, 15)}`)),
                };
            }
            case "command:remote:Command": {
                // The remote machine's side of the scripts' contracts: the token script prints a token.
                if (!textOr(inputs.create, "", "create").includes("kubeadm token create")) return { stdout: "", stderr: "" };
                // What a command prints comes from its last run, and a command whose inputs change
                // runs again: its token follows its inputs (a real update mints a fresh one).
                const token = random(`join-token:${inputsDigest}`);
                return { stdout: `${token.string(6, LOWER_DIGITS)}.${token.string(16, LOWER_DIGITS)}\n`, stderr: "" };
            }
            default:
                return { ...autoName, ...(type.startsWith("gcp:compute/") ? { selfLink: `projects/${gcpProject(inputs)}/mock/${name}` } : {}) };
        }
    }
}
