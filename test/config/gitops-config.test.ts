import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_GITOPS_PATH } from "../../config/gitops-config";
import { StackConfigError } from "../../config/stack-config";
import { devConfig, PROJECT_ROOT } from "../fixtures";

const REPO = "https://gitlab.example.com/shop/deploy.git";

function problemsOf(overrides: Record<string, string>): readonly string[] {
    try {
        devConfig(overrides);
    } catch (error) {
        if (error instanceof StackConfigError) return error.problems;
        throw error;
    }
    assert.fail(`accepted ${JSON.stringify(overrides)}`);
}

describe("who delivers the shop (boutiqueDeliveredBy) and the Git source Argo CD reads", () => {
    it("defaults to the program; the Git keys are kept but unused there", () => {
        assert.deepEqual(devConfig().boutiqueDelivery, { by: "pulumi" });
        assert.deepEqual(devConfig({ gitopsRepoUrl: REPO }).boutiqueDelivery, { by: "pulumi" });
    });

    it("argocd: the URL, the revision and path (defaults main and gitops/online-boutique), credentials when both are set", () => {
        assert.deepEqual(devConfig({ boutiqueDeliveredBy: "argocd", gitopsRepoUrl: REPO }).boutiqueDelivery, {
            by: "argocd",
            source: { repoUrl: REPO, revision: "main", path: "gitops/online-boutique" },
        });
        // Pulumi.yaml's default is the release CLI's and .ci/release-image's.
        assert.equal(DEFAULT_GITOPS_PATH, "gitops/online-boutique");
        assert.match(fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "release-image"), "utf8"), /GITOPS_PATH:-gitops\/online-boutique\}/);
        const private_ = devConfig({
            boutiqueDeliveredBy: "argocd",
            gitopsRepoUrl: "https://git.example.com:8443/team/shop",
            gitopsRevision: "release/2026.11",
            gitopsPath: "envs/prod/shop",
            gitopsRepoUsername: "deploy-token-1",
            gitopsRepoPassword: "glpat-abc",
        }).boutiqueDelivery;
        assert.deepEqual(private_, {
            by: "argocd",
            source: {
                repoUrl: "https://git.example.com:8443/team/shop",
                revision: "release/2026.11",
                path: "envs/prod/shop",
                credentials: { username: "deploy-token-1", password: "glpat-abc" },
            },
        });
        assert.equal(devConfig({ boutiqueDeliveredBy: "argocd", gitopsRepoUrl: REPO, gitopsRevision: "a".repeat(40) }).boutiqueDelivery.by, "argocd");
    });

    it("refuses each bad value, naming the key, the value and what is allowed", () => {
        const cases: [Record<string, string>, RegExp][] = [
            [{ boutiqueDeliveredBy: "flux" }, /boutiqueDeliveredBy = "flux": must be one of pulumi, argocd/],
            [{ boutiqueDeliveredBy: "argocd" }, /gitopsRepoUrl \(not set\): must be set when boutiqueDeliveredBy is argocd/],
            [
                { boutiqueDeliveredBy: "argocd", gitopsRepoUrl: REPO, enableBoutique: "false" },
                /boutiqueDeliveredBy = "argocd": is argocd but enableBoutique is false/,
            ],
            [{ gitopsRepoUrl: "git@gitlab.example.com:shop/deploy.git" }, /gitopsRepoUrl = .*must be an https:\/\/ Git repository URL/],
            [{ gitopsRepoUrl: "http://gitlab.example.com/shop/deploy.git" }, /gitopsRepoUrl .*https:\/\//],
            [{ gitopsRepoUrl: "https://user:token@gitlab.example.com/shop.git" }, /gitopsRepoUrl .*without credentials/],
            [{ gitopsRepoUrl: "https://gitlab.example.com/shop.git?ref=x" }, /gitopsRepoUrl/],
            [{ gitopsRevision: "HEAD" }, /gitopsRevision = "HEAD": must be a branch, a tag or a full commit id/],
            [{ gitopsRevision: "main..dev" }, /gitopsRevision/],
            [{ gitopsRevision: "-rf" }, /gitopsRevision/],
            [{ gitopsRevision: "feature/.hidden" }, /gitopsRevision/],
            [{ gitopsRevision: "main;id" }, /gitopsRevision/],
            [{ gitopsPath: "/etc" }, /gitopsPath = "\/etc": must be a folder relative to the repository's root/],
            [{ gitopsPath: "gitops/../../secrets" }, /gitopsPath/],
            [{ gitopsPath: "gitops/" }, /gitopsPath/],
            [{ gitopsPath: "a b" }, /gitopsPath/],
            [{ gitopsRepoUsername: "deploy" }, /gitopsRepoPassword \(not set\): must be set \(as a secret\) with gitopsRepoUsername/],
            [{ gitopsRepoUsername: "a user" }, /gitopsRepoUsername = "a user": must be a user name/],
        ];
        for (const [overrides, expected] of cases) {
            const problems = problemsOf(overrides);
            assert.ok(
                problems.some((problem) => expected.test(problem)),
                `${JSON.stringify(overrides)}: ${problems.join(" | ")}`,
            );
        }
    });

    it("never echoes the password: a password without its user names the user key, a bad password only says [secret]", () => {
        const withoutUser = problemsOf({ gitopsRepoPassword: "glpat-VERYSECRET" });
        assert.ok(withoutUser.some((problem) => /gitopsRepoUsername \(not set\): must be set with gitopsRepoPassword/.test(problem)));
        const tooLong = problemsOf({ gitopsRepoUsername: "deploy", gitopsRepoPassword: `VERYSECRET${"x".repeat(2000)}` });
        assert.ok(
            tooLong.some((problem) => /gitopsRepoPassword \(\[secret\]\): must be at most 1024 characters/.test(problem)),
            tooLong.join(" | "),
        );
        assert.doesNotMatch([...withoutUser, ...tooLong].join("\n"), /VERYSECRET/);
    });
});
