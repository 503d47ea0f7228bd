import type { Props } from "./props";

/** One guardrail: the resource types it reads and what it finds wrong in one resource's inputs. */
export interface Rule {
    readonly name: string;
    readonly description: string;
    readonly resourceTypes: readonly string[];
    /** One message per violation, naming the offending field and value; empty when compliant. */
    check(props: Props): string[];
}
