import { z } from "zod";
import { matching, oneOf, text } from "./fields";
import { ENCRYPTED_PLACEHOLDER } from "./stack-files";

/**
 * Who delivers Online Boutique: the program itself (a Pulumi-rendered chart, the default), or
 * Argo CD from a Git path the stack names (docs/delivery.md, "GitOps with Argo CD").
 */
export const BOUTIQUE_DELIVERERS = ["pulumi", "argocd"] as const;
export type BoutiqueDeliverer = (typeof BOUTIQUE_DELIVERERS)[number];

/** Where Argo CD reads the shop: a Git repository over HTTPS, a revision in it, a folder of it. */
export interface GitSource {
    readonly repoUrl: string;
    /** A branch, a tag or a full commit id (the release job commits to a branch). */
    readonly revision: string;
    /** The folder holding the Git path's kustomization.yaml, relative to the repository's root. */
    readonly path: string;
    /** HTTPS credentials (a deploy token: read access is enough); absent for a public repository. */
    readonly credentials?: { readonly username: string; readonly password: string };
}

/** The repository folder of the Git path unless gitopsPath says otherwise (Pulumi.yaml declares the same default). */
export const DEFAULT_GITOPS_PATH = "gitops/online-boutique";

export type BoutiqueDelivery = { readonly by: "pulumi" } | { readonly by: "argocd"; readonly source: GitSource };

/** https://host[:port]/path, no credentials, query or fragment (credentials go in gitopsRepoPassword). */
const HTTPS_REPO_URL = /^https:\/\/[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[1-9][0-9]{0,4})?(\/[A-Za-z0-9._~-]+){1,20}\/?$/;

/** A branch or tag name git accepts (git check-ref-format), or a full commit id. */
function revisionProblem(revision: string): string | undefined {
    if (revision.length > 200) return "must be at most 200 characters";
    const segments = revision.split("/");
    const shape = /^[A-Za-z0-9._-]+$/;
    if (
        revision.startsWith("-") ||
        revision.endsWith(".lock") ||
        revision === "HEAD" ||
        revision.includes("..") ||
        segments.some((segment) => !shape.test(segment) || segment.startsWith(".") || segment.endsWith("."))
    )
        return "must be a branch, a tag or a full commit id (letters, digits, ., _, - and /; no .., no segment starting or ending with .; not HEAD)";
    return undefined;
}

/** A relative folder of the repository: plain segments, none of them . or .. */
function pathProblem(folder: string): string | undefined {
    const segments = folder.split("/");
    if (folder.length > 256 || segments.length > 16) return "must be at most 256 characters and 16 folders deep";
    if (segments.some((segment) => !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(segment) || segment === "." || segment === ".."))
        return "must be a folder relative to the repository's root, e.g. gitops/online-boutique (segments of letters, digits, ., _ and -; no leading /, no . or .., no trailing /)";
    return undefined;
}

function refined(check: (value: string) => string | undefined) {
    return text.superRefine((value, ctx) => {
        const problem = check(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

/** Decoders of the delivery-mode keys (Pulumi.yaml declares boutiqueDeliveredBy, gitopsRevision and gitopsPath). */
export const gitopsKeys = {
    boutiqueDeliveredBy: oneOf(BOUTIQUE_DELIVERERS),
    gitopsRepoUrl: matching(
        HTTPS_REPO_URL,
        "an https:// Git repository URL without credentials, query or fragment, e.g. https://gitlab.example.com/shop/deploy.git",
    )
        .refine((url) => url.length <= 512, "must be at most 512 characters")
        .optional(),
    gitopsRevision: refined(revisionProblem),
    gitopsPath: refined(pathProblem),
    gitopsRepoUsername: matching(/^[A-Za-z0-9._@+-]{1,255}$/, "a user name (letters, digits, ., _, @, + and -), e.g. a deploy token's").optional(),
    // Offline (render, tests) a `secure:` value reads as the placeholder: it cannot be checked there.
    gitopsRepoPassword: text.refine((value) => value === ENCRYPTED_PLACEHOLDER || value.length <= 1024, "must be at most 1024 characters").optional(),
};

type GitopsKey = keyof typeof gitopsKeys;
type Decoded = z.output<z.ZodObject<typeof gitopsKeys>> & { readonly enableBoutique: boolean };

/** Problems that involve more than one key, each against the key to change. */
export function gitopsProblems(c: Decoded): { key: GitopsKey; message: string }[] {
    const problems: { key: GitopsKey; message: string }[] = [];
    const add = (key: GitopsKey, message: string) => problems.push({ key, message });
    if (c.boutiqueDeliveredBy === "argocd") {
        if (!c.enableBoutique) add("boutiqueDeliveredBy", "is argocd but enableBoutique is false: there is no shop to deliver");
        if (!c.gitopsRepoUrl) add("gitopsRepoUrl", "must be set when boutiqueDeliveredBy is argocd: the Git repository Argo CD reads the shop from");
    }
    if (c.gitopsRepoPassword !== undefined && c.gitopsRepoUsername === undefined)
        add("gitopsRepoUsername", "must be set with gitopsRepoPassword (a deploy token's user name and the token)");
    if (c.gitopsRepoUsername !== undefined && c.gitopsRepoPassword === undefined)
        add("gitopsRepoPassword", "must be set (as a secret) with gitopsRepoUsername");
    return problems;
}

/** The validated delivery mode. The Git keys are kept while the program delivers the shop, so a switch back and forth keeps them. */
export function toBoutiqueDelivery(c: Decoded): BoutiqueDelivery {
    if (c.boutiqueDeliveredBy === "pulumi") return { by: "pulumi" };
    const credentials =
        c.gitopsRepoUsername !== undefined && c.gitopsRepoPassword !== undefined
            ? { username: c.gitopsRepoUsername, password: c.gitopsRepoPassword }
            : undefined;
    return {
        by: "argocd",
        source: { repoUrl: c.gitopsRepoUrl ?? "", revision: c.gitopsRevision, path: c.gitopsPath, ...(credentials ? { credentials } : {}) },
    };
}
