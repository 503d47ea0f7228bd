import * as pulumi from "@pulumi/pulumi";
import { CiAccess } from "../components/ci-access";
import { parseBootstrapConfig } from "../config/bootstrap-config";

// Run once per Google Cloud project by a person with Owner (README "GitLab CI"); CI then runs
// the platform's stacks with what this creates, and no key exists anywhere.
const config = parseBootstrapConfig(pulumi.runtime.allConfig());
const access = new CiAccess("ci", config);

/** Set each as a GitLab CI/CD variable of the project (none is secret: no key, no password). */
export const ciVariables = access.variables;
