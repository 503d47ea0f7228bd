import * as pulumiPolicy from "@pulumi/policy";

// The policy server hands validateResource the inputs behind this proxy (it throws on values a preview does not know yet).
// @pulumi/policy exports it at run time; its published types leave it out (proxy.d.ts is empty).
export const asEngineProps = (pulumiPolicy as unknown as { unknownCheckingProxy: <T extends object>(props: T) => T }).unknownCheckingProxy;

// The messages the guardrails report, shared by the rule cases and the whole-pack runs.
export const externalIp = (nic: number, field: string, family: string) =>
    `instance: networkInterfaces[${nic}].${field} gives it an external ${family} address; only the "haproxy"-tagged VM may have one`;

export const opens = (port: number, range = "0.0.0.0/0") => `firewall rule opens tcp ${port} to ${range}`;

export const NEVER_PUBLIC = "buckets and objects must never be public";
export const DEFAULT_ACCOUNT = "is the Compute Engine default service account";

export const weakMtls = (field: string, mode: string, id = "boutique/default") =>
    `PeerAuthentication ${id}: ${field} is "${mode}"; mTLS must not be PERMISSIVE or DISABLE`;
