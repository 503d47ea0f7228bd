/** What one offline evaluation of the program yields (render/evaluate.ts): the resources, their inputs, the files and outputs. */

/** One entry of resources.json. */
export interface RenderedResource {
    readonly type: string;
    readonly name: string;
    /** The parent's name; absent for the stack itself. */
    readonly parent?: string;
    readonly inputs: Record<string, unknown>;
    /** Names of the resources this one waits for (explicit dependsOn and resources whose outputs feed its inputs). */
    readonly dependsOn: readonly string[];
}

export interface Evaluation {
    readonly resources: readonly RenderedResource[];
    /**
     * Inputs by "type::name", with each secret replaced by a digest of its value instead of
     * "[secret]": what `render --diff` compares, so a changed secret is still a change.
     */
    readonly comparableInputs: ReadonlyMap<string, unknown>;
    /** Generated files the components registered as `artifacts` outputs: relative path -> text. */
    readonly artifacts: Readonly<Record<string, string>>;
    /** What orders or skips each resource's delete step besides dependsOn and parent, by name (test/support/destroy-plan.ts). */
    readonly deleteLinks?: ReadonlyMap<string, DeleteLinks>;
    /** The stack's outputs, secrets as "[secret]". */
    readonly stackOutputs: Readonly<Record<string, unknown>>;
}

/** A resource's provider (deleted after it) and `deletedWith` target (whose deletion skips its delete step), by name. */
export interface DeleteLinks {
    readonly provider?: string;
    readonly deletedWith?: string;
    /** Left in the cloud by a destroy (retainOnDelete). */
    readonly retained?: boolean;
}
