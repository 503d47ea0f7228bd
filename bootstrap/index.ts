import * as pulumi from "@pulumi/pulumi";
import { CiAccess } from "../components/ci/ci-access";
import { parseBootstrapConfig } from "../config/bootstrap-config";

// Run once per Google Cloud project by a person with Owner (docs/ci.md); CI then runs
// the platform's stacks with what this creates, and no key exists anywhere.
const config = parseBootstrapConfig(pulumi.runtime.allConfig());
const access = new CiAccess("ci", config);

/** Set each as a GitLab CI/CD variable of the project (none is secret: no key, no password). */
export const ciVariables = access.variables;
/** For `pulumi stack init <stack> --secrets-provider "$(pulumi stack output secretsProvider)"`: the key ring is in the region, not global. */
export const secretsProvider = access.variables.apply((variables) => variables.PULUMI_SECRETS_PROVIDER);
/** For `pulumi login "$(pulumi stack output stateBackend)"`. */
export const stateBackend = access.variables.apply((variables) => variables.PULUMI_BACKEND_URL);
