import { PolicyPack } from "@pulumi/policy";
import { toPolicy } from "./policies";
import { RULES } from "./rules";

// `pulumi preview --policy-pack policy` loads this file; tests load ./policies, which starts no server.
new PolicyPack("boutique-platform-guardrails", {
    enforcementLevel: "mandatory",
    policies: RULES.map(toPolicy),
});
