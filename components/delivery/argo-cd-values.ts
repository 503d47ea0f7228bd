import { HelmValues } from "../shared/helm-charts";

export interface ArgoCdValuesArgs<Hash> {
    /**
     * bcrypt of the admin password (RandomPassword's bcryptHash): argocd-secret holds only the
     * hash, and Argo CD compares logins against it.
     */
    readonly adminPasswordHash: Hash;
}

/** The computed part of Argo CD's values, overlaid on values/argo-cd.yaml. */
export function argoCdValues<Hash>(args: ArgoCdValuesArgs<Hash>): HelmValues {
    return {
        configs: {
            secret: { argocdServerAdminPassword: args.adminPasswordHash },
        },
    };
}
