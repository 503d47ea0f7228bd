import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { DEPLOY_PROJECT_ROLES, PREVIEW_PROJECT_ROLES, REQUIRED_SERVICES } from "../../components/ci/ci-access";
import { CI_VARIABLES, gitlabAttributeCondition } from "../../components/ci/gitlab-federation";
import { parseBootstrapConfig } from "../../config/bootstrap-config";
import { loadStackConfigMap } from "../../config/stack-files";
import { Evaluation } from "../../render/evaluation";
import { PROJECT_ROOT } from "../fixtures";
import { byName, evaluateBootstrap, ofType } from "../support/program";

const BOOTSTRAP_ROOT = path.join(PROJECT_ROOT, "bootstrap");

describe("CI bootstrap (bootstrap/, mock runtime): keyless GitLab CI identities and the stacks' backends", function () {
    this.timeout(60_000);
    let evaluation: Evaluation;
    before(async () => {
        evaluation = await evaluateBootstrap();
    });
    const variables = () => evaluation.stackOutputs.ciVariables as Record<string, string>;

    it("trusts GitLab's id_tokens for this one project only", () => {
        const provider = byName(evaluation, "ci-provider").inputs;
        assert.deepEqual(provider.oidc, { issuerUri: "https://gitlab.com" });
        assert.equal(provider.attributeCondition, 'assertion.project_path == "platform/boutique-platform"');
        assert.equal((provider.attributeMapping as Record<string, string>)["attribute.ref_protected"], "assertion.ref_protected");
    });

    it("lets only protected refs deploy; any pipeline of the project may preview; no key exists", () => {
        const pool = `principalSet://iam.googleapis.com/projects/\\d+/locations/global/workloadIdentityPools/gitlab-[0-9a-f]{6}`;
        assert.match(String(byName(evaluation, "ci-deploy-federated").inputs.member), new RegExp(`^${pool}/attribute\\.ref_protected/true$`));
        assert.match(
            String(byName(evaluation, "ci-preview-federated").inputs.member),
            new RegExp(`^${pool}/attribute\\.project_path/platform/boutique-platform$`),
        );
        for (const grant of ofType(evaluation, "gcp:serviceaccount/iAMMember:IAMMember"))
            assert.equal(grant.inputs.role, "roles/iam.workloadIdentityUser", grant.name);
        assert.deepEqual(ofType(evaluation, "gcp:serviceaccount/key:Key"), []);
        assert.deepEqual(ofType(evaluation, "gcp:storage/hmacKey:HmacKey"), []);
    });

    it("grants each account its project roles and no more", () => {
        const rolesOf = (account: string) =>
            ofType(evaluation, "gcp:projects/iAMMember:IAMMember")
                .filter((grant) => grant.name.startsWith(`ci-${account}-`))
                .map((grant) => grant.inputs.role)
                .sort();
        assert.deepEqual(rolesOf("deploy"), [...DEPLOY_PROJECT_ROLES].sort());
        assert.deepEqual(rolesOf("preview"), [...PREVIEW_PROJECT_ROLES]);
        const bucketRoles = ofType(evaluation, "gcp:storage/bucketIAMMember:BucketIAMMember").map((grant) => [grant.name, grant.inputs.role]);
        assert.deepEqual(bucketRoles, [
            ["ci-state-deploy", "roles/storage.objectAdmin"],
            ["ci-state-preview", "roles/storage.objectViewer"],
        ]);
    });

    it("keeps state in a private, versioned bucket and enables the APIs CI calls", () => {
        const bucket = byName(evaluation, "ci-state").inputs;
        assert.deepEqual([bucket.uniformBucketLevelAccess, bucket.publicAccessPrevention, bucket.versioning], [true, "enforced", { enabled: true }]);
        assert.deepEqual(
            ofType(evaluation, "gcp:projects/service:Service")
                .map((service) => service.inputs.service)
                .sort(),
            [...REQUIRED_SERVICES].sort(),
        );
    });

    it("outputs the CI variables, and the dev stack's autoscaler uses the same backend, key and repository", () => {
        assert.deepEqual(Object.keys(variables()).sort(), [...CI_VARIABLES].sort());
        assert.match(
            variables().GCP_WORKLOAD_IDENTITY_PROVIDER,
            /^projects\/\d+\/locations\/global\/workloadIdentityPools\/gitlab-[0-9a-f]{6}\/providers\/gitlab$/,
        );
        assert.match(variables().GCP_DEPLOY_SERVICE_ACCOUNT, /^boutique-ci-deploy@boutique-dev-000000\.iam\.gserviceaccount\.com$/);
        const dev = parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, Record<string, string>> };
        const autoscaler = dev.config["boutique-platform:autoscaler"];
        assert.equal(autoscaler.stateBackend, variables().PULUMI_BACKEND_URL);
        assert.equal(autoscaler.secretsProvider, variables().PULUMI_SECRETS_PROVIDER);
        assert.ok(autoscaler.scalerImage.startsWith(`${variables().SCALER_IMAGE_REPOSITORY}/`), autoscaler.scalerImage);
    });

    it("takes a self-managed GitLab's issuer", async () => {
        const selfManaged = await evaluateBootstrap({ gitlabIssuer: "https://gitlab.example.com", gitlabProjectPath: "infra/platform/boutique" });
        const provider = byName(selfManaged, "ci-provider").inputs;
        assert.deepEqual(
            [provider.oidc, provider.attributeCondition],
            [{ issuerUri: "https://gitlab.example.com" }, 'assertion.project_path == "infra/platform/boutique"'],
        );
    });

    it("refuses bad config before any resource exists, naming the key, the value and what is allowed", () => {
        const base = loadStackConfigMap(BOOTSTRAP_ROOT, "ci").values;
        const cases: [Record<string, string | undefined>, string][] = [
            [
                { "boutique-ci:gitlabIssuer": "https://gitlab.com/" },
                'boutique-ci:gitlabIssuer = "https://gitlab.com/": must be the GitLab instance\'s https URL without a trailing slash, such as https://gitlab.com',
            ],
            [{ "boutique-ci:gitlabProjectPath": undefined }, "boutique-ci:gitlabProjectPath (not set): is not set"],
            [
                { "boutique-ci:gitlabProjectPath": "boutique" },
                'boutique-ci:gitlabProjectPath = "boutique": must be the GitLab project\'s path, group[/subgroup...]/project',
            ],
            [
                { "boutique-ci:prefix": "a-very-long-prefix-name" },
                'boutique-ci:prefix = "a-very-long-prefix-name": must be a lowercase name of 2-19 letters, digits or hyphens',
            ],
        ];
        for (const [change, message] of cases) {
            assert.throws(
                () => parseBootstrapConfig({ ...base, ...change }),
                (error: Error) => error.message.includes(message),
                message,
            );
        }
        assert.throws(() => gitlabAttributeCondition('x/y" || true || "'), /must be the GitLab project's path, group\[\/subgroup...\]\/project/);
    });
});
