import { quoteInput, UsageError } from "./cli";

/**
 * A stack name as this project's CLIs take it: Pulumi's own rule for the name part of a stack
 * reference (pulumi/pulumi, the backends' validateStackName: `^[A-Za-z0-9_.-]{1,100}$`, no "/"),
 * bare only. No org/ or org/project/ prefix: the name is read as Pulumi.<stack>.yaml in the
 * project root and is the stack part of every URN (scaler/automation-stack.ts, scaleTargets).
 * Stricter than Pulumi in one way: no leading "." (".", "..", hidden files) or "-" (read as an
 * option by the pulumi CLI the Automation API runs).
 */

export const STACK_NAME_MAX_LENGTH = 100;

/** What is wrong with `name` as a bare stack name, or undefined when it is one. Pure. */
export function stackNameProblem(name: string): string | undefined {
    if (name.length === 0) return "is empty";
    if (name.length > STACK_NAME_MAX_LENGTH) return `is longer than ${STACK_NAME_MAX_LENGTH} characters`;
    if (name.includes("/")) return 'has a "/": give the bare stack name (no org/ or project/ prefix, no path)';
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) return "may only contain letters, digits, -, _ and . (ASCII)";
    if (/^[.-]/.test(name)) return 'may not start with "." or "-"';
    return undefined;
}

/** `name` when it is a bare stack name; else a usage error naming the flag and at most 64 characters of the value. */
export function requireStackName(name: string, flag = "--stack"): string {
    const problem = stackNameProblem(name);
    if (problem !== undefined) throw new UsageError(`${flag} ${quoteInput(name)}: a stack name ${problem}`);
    return name;
}
