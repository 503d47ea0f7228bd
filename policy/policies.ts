import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Rule } from "./rule";

/**
 * A rule as a Pulumi resource policy: it reads only its own resource types and reports each
 * message. Kept apart from index.ts, whose PolicyPack starts a gRPC server when loaded.
 */
export function toPolicy(rule: Rule): ResourceValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        validateResource: (args, reportViolation) => {
            if (!rule.resourceTypes.includes(args.type)) return;
            for (const message of rule.check(args.props)) reportViolation(message);
        },
    };
}
