import { MockMonitor, Mocks } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** What the program asked the engine to register, as the engine received it (serialized). */
export interface Registration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly parentUrn?: string;
    /** Resources this one waits for: explicit dependsOn plus those whose outputs feed its inputs. */
    readonly dependencyUrns: readonly string[];
    /** Inputs in the engine's wire form: secrets stay wrapped in their signature objects. */
    readonly inputs: Record<string, unknown>;
    /** The provider reference ("urn::id") a custom resource is managed by, if any. */
    readonly providerRef?: string;
    /** The resource whose deletion makes this one's delete step pointless (the `deletedWith` option). */
    readonly deletedWithUrn?: string;
    /** `retainOnDelete`: a destroy drops the resource from the state and leaves it in the cloud. */
    readonly retainOnDelete: boolean;
    /** A component's registered outputs (wire form), once registerOutputs ran. */
    outputs?: Record<string, unknown>;
}

type Callback = (err: unknown, response: unknown) => void;

/** The parts of the gRPC request objects this monitor reads (generated protobuf classes). */
interface RegisterResourceRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getParent(): string;
    getDependenciesList(): string[];
    getProvider(): string;
    getDeletedwith(): string;
    getRetainondelete(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getObject(): Struct | undefined;
}
interface RegisterResourceResponse {
    getUrn(): string;
    getObject(): Struct | undefined;
    setObject(value: Struct): void;
}
interface RegisterResourceOutputsRequest {
    getUrn(): string;
    getOutputs(): Struct | undefined;
}

function wrapSecret(value: unknown): unknown {
    const alreadySecret = typeof value === "object" && value !== null && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
    return alreadySecret ? value : { [specialSigKey]: specialSecretSig, value };
}

/**
 * Pulumi's MockMonitor, plus a record of every registration. It also does what the real engine
 * does with `additionalSecretOutputs` (the plain mock monitor ignores it), so secrets that a
 * provider SDK declares - private keys, random bytes - stay secret downstream, as in a deployment.
 */
export class CapturingMonitor extends MockMonitor {
    private readonly registrations: Registration[] = [];
    private readonly byUrn = new Map<string, Registration>();

    constructor(mocks: Mocks) {
        super(mocks);
    }

    /** Registrations in the order the program made them. */
    captured(): readonly Registration[] {
        return this.registrations;
    }

    override async registerResource(req: RegisterResourceRequest, callback: Callback): Promise<void> {
        const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const secretOutputs = req.getAdditionalsecretoutputsList();
        return super.registerResource(req, (err: unknown, response: unknown) => {
            if (!err && response) {
                const res = response as RegisterResourceResponse;
                if (secretOutputs.length > 0) {
                    const state = (res.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
                    for (const key of secretOutputs) {
                        if (key in state) state[key] = wrapSecret(state[key]);
                    }
                    res.setObject(Struct.fromJavaScript(state as Parameters<typeof Struct.fromJavaScript>[0]));
                }
                const registration: Registration = {
                    urn: res.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    parentUrn: req.getParent() || undefined,
                    dependencyUrns: req.getDependenciesList(),
                    providerRef: req.getProvider() || undefined,
                    deletedWithUrn: req.getDeletedwith() || undefined,
                    retainOnDelete: req.getRetainondelete(),
                    inputs,
                };
                this.registrations.push(registration);
                this.byUrn.set(registration.urn, registration);
            }
            callback(err, response);
        });
    }

    override registerResourceOutputs(req: RegisterResourceOutputsRequest, callback: Callback): void {
        const registration = this.byUrn.get(req.getUrn());
        if (registration) {
            registration.outputs = req.getOutputs()?.toJavaScript() ?? {};
        }
        // The stack's own outputs arrive here too; the base class keeps track of those.
        super.registerResourceOutputs(req, callback);
    }
}
