import { ObjectMeta } from "../shared/kubernetes-object";
import { ARGOCD_NAMESPACE } from "./gitops-objects";

/**
 * What Argo CD is configured with beyond values/argo-cd.yaml (every value there is static, so
 * the release has no computed overlay). The admin login is not in the release's values: a secret
 * there (the password's hash, which the random provider marks secret) makes the whole values map
 * secret, so `pulumi preview` and `npm run render` would show none of them and `render --charts`
 * could not render the release. The program writes argocd-secret itself instead (the chart's is
 * off: configs.secret.createSecret).
 */

/**
 * argocd-secret, which Argo CD reads by name. Argo CD reads only Secrets labelled part-of argocd;
 * argocd-server adds its own signing key (server.secretkey) on first start, which the program
 * never sets, so an update leaves it in place.
 */
export const ARGOCD_SECRET: ObjectMeta = {
    name: "argocd-secret",
    namespace: ARGOCD_NAMESPACE,
    labels: { "app.kubernetes.io/name": "argocd-secret", "app.kubernetes.io/part-of": "argocd" },
};

/**
 * When the admin password was last set, as Argo CD reads it: tokens issued before it are refused.
 * Fixed, so a render is stable; a new password therefore does not end sessions already open
 * (they expire after 24 hours).
 */
export const ADMIN_PASSWORD_MTIME = "2026-01-01T00:00:00Z";

/** argocd-secret's data: the admin password's bcrypt hash (RandomPassword's bcryptHash) and its mtime. */
export function argoCdSecretData<Hash>(adminPasswordHash: Hash): { readonly "admin.password": Hash; readonly "admin.passwordMtime": string } {
    return { "admin.password": adminPasswordHash, "admin.passwordMtime": ADMIN_PASSWORD_MTIME };
}
