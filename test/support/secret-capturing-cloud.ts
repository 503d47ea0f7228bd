import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { unwrapSecrets } from "../../render/mock-cloud";
import type { Evaluation } from "../../render/evaluation";
import { evaluateDev, RecordingCloud } from "./program";

/** Keeps the plain inputs of the Kubernetes Secrets (certificates and keys) the program creates. */
export class SecretCapturingCloud extends RecordingCloud {
    readonly secrets = new Map<string, Record<string, string>>();
    override newResource(args: MockResourceArgs): MockResourceResult {
        if (args.type === "kubernetes:core/v1:Secret") {
            const inputs = unwrapSecrets(args.inputs) as { stringData?: Record<string, string> };
            this.secrets.set(args.name, inputs.stringData ?? {});
        }
        return super.newResource(args);
    }
}

let devWithSecretsOnce: Promise<{ cloud: SecretCapturingCloud; evaluation: Evaluation }> | undefined;

/** The dev stack evaluated once per test run with its Secrets captured (the autoscaling tests share it; neither changes it). */
export function devWithSecrets(): Promise<{ cloud: SecretCapturingCloud; evaluation: Evaluation }> {
    devWithSecretsOnce ??= (async () => {
        const cloud = new SecretCapturingCloud();
        return { cloud, evaluation: await evaluateDev({}, cloud) };
    })();
    return devWithSecretsOnce;
}
