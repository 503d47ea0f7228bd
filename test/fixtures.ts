import * as fs from "fs";
import * as path from "path";
import { parseStackConfig, StackConfig } from "../config/stack-config";
import { loadStackConfigMap } from "../config/stack-files";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The pages of docs/, sorted ("docs/<page>.md"). */
export const DOC_PAGES: readonly string[] = fs
    .readdirSync(path.join(PROJECT_ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);

/** What the documentation tests read: README.md, then every page of docs/. */
export const DOCS: readonly string[] = ["README.md", ...DOC_PAGES];

/** The dev stack's raw config map (Pulumi.yaml defaults + Pulumi.dev.yaml), with overrides (short or full keys). */
export function devConfigMap(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
    return { ...loadStackConfigMap(PROJECT_ROOT, "dev", overrides).values };
}

/** The dev stack's validated config, with overrides. */
export function devConfig(overrides: Readonly<Record<string, string>> = {}): StackConfig {
    return parseStackConfig(devConfigMap(overrides));
}

/** The value at `path` in parsed YAML/JSON, or undefined where the path does not exist. */
export function dig(value: unknown, ...path: (string | number)[]): unknown {
    return path.reduce<unknown>(
        (current, key) => (typeof current === "object" && current !== null ? (current as Record<string | number, unknown>)[key] : undefined),
        value,
    );
}
