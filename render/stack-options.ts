import type { ParseArgsConfig } from "util";

/** The options both offline CLIs (render, footprint) take to pick a stack and override its config. */
export const STACK_OPTIONS = {
    stack: { type: "string", default: "dev" },
    set: { type: "string", multiple: true, default: [] },
    help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];
