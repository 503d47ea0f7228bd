import { z } from "zod";
import { gcpProjectId, gcpRegion, matching } from "./fields";
import { StackConfigError } from "./stack-config";

/** The CI bootstrap project (`bootstrap/`): its own Pulumi project and config namespace. */
export const BOOTSTRAP_PROJECT = "boutique-ci";

/** A GitLab project's path: groups, subgroups and the project, separated by "/". */
export const GITLAB_PROJECT_PATH = {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$/,
    allowed: "the GitLab project's path, group[/subgroup...]/project",
} as const;

export interface BootstrapConfig {
    readonly project: string;
    readonly region: string;
    readonly prefix: string;
    readonly gitlab: { readonly issuer: string; readonly projectPath: string };
}

const keys = {
    "gcp:project": gcpProjectId,
    [`${BOOTSTRAP_PROJECT}:region`]: gcpRegion,
    // Service account ids are 6-30 characters: "<prefix>-ci-preview" leaves 19 for the prefix.
    [`${BOOTSTRAP_PROJECT}:prefix`]: matching(/^[a-z][a-z0-9-]{0,17}[a-z0-9]$/, "a lowercase name of 2-19 letters, digits or hyphens"),
    // STS compares it with the tokens' `iss` byte for byte: no trailing slash, no path.
    [`${BOOTSTRAP_PROJECT}:gitlabIssuer`]: matching(
        /^https:\/\/[a-z0-9.-]+(:\d+)?$/,
        "the GitLab instance's https URL without a trailing slash, such as https://gitlab.com",
    ),
    [`${BOOTSTRAP_PROJECT}:gitlabProjectPath`]: matching(GITLAB_PROJECT_PATH.pattern, GITLAB_PROJECT_PATH.allowed),
};
type Key = keyof typeof keys;

/** Validates the bootstrap stack's config; one error names every bad key, its value and what is allowed. */
export function parseBootstrapConfig(raw: Readonly<Record<string, string | undefined>>): BootstrapConfig {
    const parsed = z.object(keys).safeParse(Object.fromEntries(Object.keys(keys).map((key) => [key, raw[key]])));
    if (!parsed.success) {
        throw new StackConfigError(
            parsed.error.issues.map((issue) => {
                const key = issue.path[0] as Key;
                return `${key}${raw[key] === undefined ? " (not set)" : ` = ${JSON.stringify(raw[key])}`}: ${issue.message}`;
            }),
        );
    }
    const c = parsed.data;
    return {
        project: c["gcp:project"],
        region: c[`${BOOTSTRAP_PROJECT}:region`],
        prefix: c[`${BOOTSTRAP_PROJECT}:prefix`],
        gitlab: { issuer: c[`${BOOTSTRAP_PROJECT}:gitlabIssuer`], projectPath: c[`${BOOTSTRAP_PROJECT}:gitlabProjectPath`] },
    };
}
