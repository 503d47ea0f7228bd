import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/**
 * One IAMMember per project role for `member`, named `<prefix>-<role without "roles/", dots as
 * dashes>` (nodes-sa-logging-logWriter): every account's project grants, named one way.
 * `formerName` gives a grant's name before that rule: an alias, so a deployed stack keeps the
 * binding (a rename alone would create the "new" one, then delete the old, and the role with it).
 */
export function grantProjectRoles(
    prefix: string,
    project: pulumi.Input<string>,
    roles: readonly string[],
    member: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
    formerName?: (role: string) => string,
): gcp.projects.IAMMember[] {
    return roles.map(
        (role) =>
            new gcp.projects.IAMMember(
                `${prefix}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
                { project, role, member },
                formerName ? { ...opts, aliases: [{ name: formerName(role) }] } : opts,
            ),
    );
}
