import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { quoteInput, UsageError } from "./cli";
import { requireStackName } from "./stack-name";

/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to the program: Pulumi.yaml's
 * declared defaults, overlaid by Pulumi.<stack>.yaml, every value as text (lists and objects as
 * JSON). Used where there is no CLI: offline render, tests, and the scaler's dry-run driver.
 */

export interface ConfigDeclaration {
    readonly type: "string" | "integer" | "boolean" | "array" | "object";
    readonly description: string;
    readonly default?: unknown;
    readonly secret?: boolean;
    readonly items?: { readonly type: string };
}

export interface ProjectFile {
    readonly name: string;
    /** Declared project keys, by their name without namespace. */
    readonly config: Readonly<Record<string, ConfigDeclaration>>;
}

export interface StackConfigMap {
    /** Full key (namespace:name) -> value as text. */
    readonly values: Readonly<Record<string, string>>;
    /** Keys whose values are secrets. Offline, an encrypted value reads as "[secret]". */
    readonly secretKeys: readonly string[];
}

export const ENCRYPTED_PLACEHOLDER = "[secret]";

function readYaml(file: string): unknown {
    return parse(fs.readFileSync(file, "utf8"));
}

function asText(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

export function readProjectFile(root: string): ProjectFile {
    const doc = readYaml(path.join(root, "Pulumi.yaml")) as { name?: string; config?: Record<string, ConfigDeclaration> };
    if (!doc?.name) {
        throw new Error(`${path.join(root, "Pulumi.yaml")} has no project name`);
    }
    return { name: doc.name, config: doc.config ?? {} };
}

/** Pulumi.yaml's declared defaults as full key -> text: what a stack that sets nothing gets. */
export function projectDefaults(project: ProjectFile): Record<string, string> {
    return Object.fromEntries(
        Object.entries(project.config)
            .filter(([, declaration]) => declaration.default !== undefined)
            .map(([name, declaration]) => [qualifyKey(project.name, name), asText(declaration.default)]),
    );
}

/** "workerCount" -> "<project>:workerCount"; a key that already has a namespace is kept. */
export function qualifyKey(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

/** The project's own Pulumi.<stack>.yaml: a bare stack name only, so the path never leaves `root`. */
export function stackFilePath(root: string, stack: string): string {
    return path.join(root, `Pulumi.${requireStackName(stack)}.yaml`);
}

/**
 * The config map for `stack`, with `overrides` (key -> text, short or full keys) applied last.
 * Throws a usage error if `stack` is not a bare stack name or its file does not exist.
 */
export function loadStackConfigMap(root: string, stack: string, overrides: Readonly<Record<string, string>> = {}): StackConfigMap {
    const file = stackFilePath(root, stack); // the name is checked before anything is read
    const project = readProjectFile(root);
    const values: Record<string, string> = { ...projectDefaults(project) };
    const secretKeys = new Set<string>();
    for (const [name, declaration] of Object.entries(project.config)) {
        if (declaration.secret) {
            secretKeys.add(qualifyKey(project.name, name));
        }
    }
    if (!fs.existsSync(file)) {
        throw new UsageError(`no stack file ${path.basename(file)} in ${root}`);
    }
    const stackDoc = readYaml(file) as { config?: Record<string, unknown> } | null;
    for (const [key, value] of Object.entries(stackDoc?.config ?? {})) {
        const full = qualifyKey(project.name, key);
        const encrypted = typeof value === "object" && value !== null && "secure" in value;
        values[full] = encrypted ? ENCRYPTED_PLACEHOLDER : asText(value);
        if (encrypted) {
            secretKeys.add(full);
        }
    }
    for (const [key, value] of Object.entries(overrides)) {
        values[qualifyKey(project.name, key)] = value;
    }
    return { values, secretKeys: [...secretKeys] };
}

/** Parses "key=value" arguments (as given to --set) into an overrides map. */
export function parseAssignments(assignments: readonly string[]): Record<string, string> {
    // No prototype: a key such as __proto__ is a key like any other.
    const overrides = Object.create(null) as Record<string, string>;
    for (const assignment of assignments) {
        const at = assignment.indexOf("=");
        if (at <= 0) {
            throw new UsageError(`expected key=value, got ${quoteInput(assignment)}`);
        }
        overrides[assignment.slice(0, at).trim()] = assignment.slice(at + 1);
    }
    return overrides;
}
