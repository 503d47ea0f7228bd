import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { specialArchiveSig, specialAssetSig, specialResourceSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { StackConfigMap } from "../config/stack-files";
import { DeleteLinks, Evaluation, RenderedResource } from "./evaluation";
import { CapturingMonitor, Registration } from "./capturing-monitor";
import { MockCloud } from "./mock-cloud";
import { kubernetesArtifacts } from "./kubernetes-artifacts";
import { installMonitor, waitForRegistrations } from "./pulumi-internals";

export const SECRET = "[secret]";

function deleteLinks(registration: Registration, byUrn: ReadonlyMap<string, Registration>): DeleteLinks {
    const named = (urn: string | undefined) => (urn === undefined ? undefined : (byUrn.get(urn)?.name ?? nameOf(urn)));
    // A provider reference is "<urn>::<id>"; the URN itself contains "::".
    const providerUrn = registration.providerRef?.slice(0, registration.providerRef.lastIndexOf("::"));
    return { provider: named(providerUrn), deletedWith: named(registration.deletedWithUrn), ...(registration.retainOnDelete ? { retained: true } : {}) };
}

export interface EvaluateOptions {
    readonly projectRoot: string;
    readonly project: string;
    readonly stack: string;
    readonly config: StackConfigMap;
    /** Shared between evaluations that are compared, so unchanged resources get identical mock outputs. */
    readonly cloud: MockCloud;
}

/** Identifies a resource across evaluations, as Pulumi does (type and name). */
export function resourceKey(resource: { readonly type: string; readonly name: string }): string {
    return `${resource.type}::${resource.name}`;
}

function secretDigest(secret: unknown): string {
    return `[secret sha256:${crypto.createHash("sha256").update(JSON.stringify(secret)).digest("hex").slice(0, 16)}]`;
}

function nameOf(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Wire-form value -> JSON: secrets become `hideSecret(value)` ("[secret]"), resource references their name. */
export function redact(value: unknown, hideSecret: (secret: unknown) => string = () => SECRET): unknown {
    const inner = (v: unknown) => redact(v, hideSecret);
    if (value === unknownValue) return "[unknown]";
    if (Array.isArray(value)) return value.map(inner);
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    switch (record[specialSigKey]) {
        case specialSecretSig:
            return hideSecret(record.value);
        case specialResourceSig:
            return nameOf(String(record.urn));
        case specialAssetSig:
        case specialArchiveSig:
            return { asset: record.path ?? record.uri ?? "(inline text)" };
        default:
            return Object.fromEntries(Object.entries(record).map(([key, v]) => [key, inner(v)]));
    }
}

function toRendered(registration: Registration, byUrn: ReadonlyMap<string, Registration>): RenderedResource {
    const dependsOn = [...new Set(registration.dependencyUrns.map((urn) => byUrn.get(urn)?.name ?? nameOf(urn)))];
    return {
        type: registration.type,
        name: registration.name,
        ...(registration.parentUrn ? { parent: byUrn.get(registration.parentUrn)?.name ?? nameOf(registration.parentUrn) } : {}),
        inputs: redact(registration.inputs) as Record<string, unknown>,
        dependsOn: dependsOn.sort(),
    };
}

function collectArtifacts(registrations: readonly Registration[]): Record<string, string> {
    const artifacts: Record<string, string> = {};
    for (const registration of registrations) {
        const files = redact(registration.outputs?.artifacts ?? {}) as Record<string, unknown>;
        for (const [file, text] of Object.entries(files)) {
            if (file in artifacts) throw new Error(`two components registered the artifact ${file}`);
            artifacts[file] = String(text);
        }
    }
    return artifacts;
}

/**
 * resources.json, the summary and --diff identify a resource by its name (Pulumi allows the same
 * name for different types): a second resource with a taken name is a program error here.
 */
export function checkUniqueNames(resources: readonly RenderedResource[]): void {
    const typeByName = new Map<string, string>();
    for (const { name, type } of resources) {
        const taken = typeByName.get(name);
        if (taken !== undefined) throw new Error(`two resources are named "${name}" (${taken} and ${type}); give one of them another name`);
        typeByName.set(name, type);
    }
}

function mergeArtifacts(...sets: Record<string, string>[]): Record<string, string> {
    const seen = new Set<string>();
    for (const file of sets.flatMap((set) => Object.keys(set))) {
        if (seen.has(file)) throw new Error(`two sources render the artifact ${file}`);
        seen.add(file);
    }
    return Object.assign({}, ...sets) as Record<string, string>;
}

/**
 * Drops the entry module from the require cache so each evaluation runs the program afresh.
 * Only index.ts declares resources when loaded (everything else defines functions and
 * classes), so the rest stays cached and its classes (e.g. StackConfigError) keep one identity.
 */
function forgetProgram(program: string): void {
    delete require.cache[require.resolve(program)];
}

/**
 * Runs the Pulumi program (index.ts) under the mock runtime with the given config, as
 * `pulumi up` would run it, and returns what it declared. Throws what the program throws
 * (e.g. a StackConfigError). Evaluations run one after another in one process.
 */
export async function evaluateProgram(options: EvaluateOptions): Promise<Evaluation> {
    const monitor = new CapturingMonitor(options.cloud);
    installMonitor(monitor, options.project, options.stack);
    pulumi.runtime.setAllConfig({ ...options.config.values }, [...options.config.secretKeys]);
    const program = path.join(options.projectRoot, "index.ts");
    forgetProgram(program);
    // index.ts exports an async function (it reads what the stack deployed before declaring
    // anything); Pulumi's Node.js host calls it and takes its result as the stack's outputs.
    await pulumi.runtime.runInPulumiStack(async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program must load now, after the mocks are installed, from a path known only at run time, uncached (forgetProgram) for each evaluation
        const entry: unknown = require(program);
        return typeof entry === "function" ? (entry as () => Promise<unknown>)() : entry;
    });
    await waitForRegistrations();
    if (pulumi.log.hasErrors()) {
        throw new Error("the program logged errors while it was evaluated (see above)");
    }

    const registrations = monitor.captured();
    const byUrn = new Map(registrations.map((registration) => [registration.urn, registration]));
    const resources = registrations.map((registration) => toRendered(registration, byUrn));
    checkUniqueNames(resources);
    return {
        resources,
        comparableInputs: new Map(registrations.map((registration) => [resourceKey(registration), redact(registration.inputs, secretDigest)])),
        artifacts: mergeArtifacts(collectArtifacts(registrations), kubernetesArtifacts(resources)),
        deleteLinks: new Map(registrations.map((registration) => [registration.name, deleteLinks(registration, byUrn)])),
        stackOutputs: redact(registrations.find((registration) => registration.type === "pulumi:pulumi:Stack")?.outputs ?? {}) as Record<string, unknown>,
    };
}
