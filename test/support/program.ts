import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { parseAllDocuments } from "yaml";
import { KubernetesObject } from "../../components/shared/kubernetes-object";
import * as path from "path";
import { BOOTSTRAP_PROJECT } from "../../config/bootstrap-config";
import { loadStackConfigMap } from "../../config/stack-files";
import { diffEvaluations, EvaluationDiff } from "../../render/diff";
import { evaluateProgram } from "../../render/evaluate";
import { Evaluation } from "../../render/evaluation";
import { RenderedResource } from "../../render/evaluation";
import { MockCloud, unwrapSecrets } from "../../render/mock-cloud";
import { PROJECT_ROOT } from "../fixtures";
import { textOf } from "./text";

/**
 * A MockCloud that also remembers every value the cloud handed out that must stay secret
 * (private keys, random bytes, minted tokens) and counts the resources it was asked to create.
 */
export class RecordingCloud extends MockCloud {
    readonly secretValues = new Set<string>();
    /** Public keys the cloud generated, by resource name (to check what the program derived from them). */
    readonly publicKeys = new Map<string, string>();
    programResources = 0;

    override newResource(args: MockResourceArgs): MockResourceResult {
        const result = super.newResource(args);
        if (args.type !== "pulumi:pulumi:Stack") this.programResources++;
        const state = unwrapSecrets(result.state) as Record<string, unknown>;
        const secretKeys: Record<string, string[]> = {
            "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
            "random:index/randomBytes:RandomBytes": ["base64", "hex"],
            "random:index/randomPassword:RandomPassword": ["result"],
            "command:remote:Command": ["stdout"],
        };
        for (const key of secretKeys[args.type] ?? []) {
            const value = textOf(state[key] ?? "").trim();
            if (value) this.secretValues.add(value);
        }
        if (typeof state.publicKeyPem === "string") this.publicKeys.set(args.name, state.publicKeyPem);
        return result;
    }
}

/** Evaluates index.ts for the dev stack with config overrides, as `npm run render` does. */
export function evaluateDev(overrides: Record<string, string> = {}, cloud: MockCloud = new MockCloud()): Promise<Evaluation> {
    return evaluateProgram({
        projectRoot: PROJECT_ROOT,
        project: "boutique-platform",
        stack: "dev",
        cloud,
        config: loadStackConfigMap(PROJECT_ROOT, "dev", overrides),
    });
}

/** Evaluates bootstrap/index.ts (the CI bootstrap project) for its example stack `ci`. */
export function evaluateBootstrap(overrides: Record<string, string> = {}, cloud: MockCloud = new RecordingCloud()): Promise<Evaluation> {
    const root = path.join(PROJECT_ROOT, "bootstrap");
    return evaluateProgram({ projectRoot: root, project: BOOTSTRAP_PROJECT, stack: "ci", cloud, config: loadStackConfigMap(root, "ci", overrides) });
}

/** What changing the dev stack's config from `before` to `after` would do (the `render --diff` code path). */
export async function diffDev(before: Record<string, string>, after: Record<string, string>): Promise<EvaluationDiff> {
    const cloud = new MockCloud();
    const base = await evaluateDev(before, cloud);
    cloud.deployedOutputs = base.stackOutputs;
    return diffEvaluations(base, await evaluateDev({ ...before, ...after }, cloud));
}

export function byName(evaluation: Evaluation, name: string): RenderedResource {
    const found = evaluation.resources.find((resource) => resource.name === name);
    if (!found) throw new Error(`no resource named ${name}`);
    return found;
}

export function ofType(evaluation: Evaluation, type: string): RenderedResource[] {
    return evaluation.resources.filter((resource) => resource.type === type);
}

/** The longest chain of remote commands (each waiting on the previous), by walking dependsOn. */
export function longestCommandChain(evaluation: Evaluation): string[] {
    const byNameMap = new Map(evaluation.resources.map((resource) => [resource.name, resource]));
    const memo = new Map<string, string[]>();
    const isCommand = (name: string) => byNameMap.get(name)?.type === "command:remote:Command";
    // Longest chain of commands ending at `name`, following dependencies through any resource.
    const chainTo = (name: string, visiting: Set<string>): string[] => {
        const cached = memo.get(name);
        if (cached) return cached;
        if (visiting.has(name)) throw new Error(`dependency cycle through ${name}`);
        visiting.add(name);
        let best: string[] = [];
        for (const dependency of byNameMap.get(name)?.dependsOn ?? []) {
            const chain = chainTo(dependency, visiting);
            if (chain.length > best.length) best = chain;
        }
        visiting.delete(name);
        const result = isCommand(name) ? [...best, name] : best;
        memo.set(name, result);
        return result;
    };
    return evaluation.resources.map((resource) => chainTo(resource.name, new Set())).reduce((a, b) => (b.length > a.length ? b : a), []);
}

/** Every Kubernetes object the program applies, read back from the rendered manifests/ (secrets as "[secret]"). */
export function manifestObjects(evaluation: Evaluation): KubernetesObject[] {
    return Object.entries(evaluation.artifacts)
        .filter(([file]) => file.startsWith("manifests/"))
        .flatMap(([, text]) => parseAllDocuments(text).map((doc) => doc.toJS() as KubernetesObject));
}
