import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { unwrapSecrets } from "../../render/mock-cloud";
import { RecordingCloud } from "./program";

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
