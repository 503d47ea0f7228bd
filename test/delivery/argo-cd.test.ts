import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluateProgram, SECRET } from "../../render/evaluate";
import { Evaluation, RenderedResource } from "../../render/evaluation";
import { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { MockCloud } from "../../render/mock-cloud";
import { DeterministicRandom, mockBcryptHash } from "../../render/mock-random";
import { dig, PROJECT_ROOT } from "../fixtures";

/**
 * The ArgoCd component alone under the mock runtime (index.ts wires it only when
 * boutiqueDeliveredBy is argocd): what its children receive, what stays secret, what waits on what.
 */

const REPO = "https://git.example.com:8443/shop/deploy.git";

/** A one-component program: ArgoCd after a stand-in for the cluster (any custom resource), its password exported. */
function programRoot(credentials: boolean): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "argo-cd-component-"));
    const component = path.join(PROJECT_ROOT, "components", "delivery", "argo-cd");
    const source = {
        repoUrl: REPO,
        revision: "main",
        path: "gitops/online-boutique",
        ...(credentials ? { credentials: { username: "deploy", password: "t0ken" } } : {}),
    };
    fs.writeFileSync(
        path.join(root, "index.ts"),
        [
            `import * as random from ${JSON.stringify(require.resolve("@pulumi/random"))};`,
            `import { ArgoCd } from ${JSON.stringify(component)};`,
            `const cluster = new random.RandomId("cluster", { byteLength: 4 });`,
            `const argo = new ArgoCd("gitops", { source: ${JSON.stringify(source)}, shopNamespace: "boutique", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", after: [cluster] });`,
            `export const adminPassword = argo.adminPassword;`,
        ].join("\n"),
    );
    return root;
}

/** The mock cloud, its RandomPassword also answering bcryptHash (as the random provider does); remembers the hashes. */
class HashingCloud extends MockCloud {
    readonly hashes: string[] = [];

    override newResource(args: MockResourceArgs): MockResourceResult {
        const result = super.newResource(args);
        if (args.type !== "random:index/randomPassword:RandomPassword") return result;
        const bcryptHash = mockBcryptHash(new DeterministicRandom("argo-cd-test", args.name), String(result.state.result));
        this.hashes.push(bcryptHash);
        return { ...result, state: { ...result.state, bcryptHash } };
    }
}

async function evaluate(credentials: boolean, cloud = new HashingCloud()): Promise<Evaluation> {
    const root = programRoot(credentials);
    try {
        return await evaluateProgram({ projectRoot: root, project: "argo-cd-test", stack: "test", cloud, config: { values: {}, secretKeys: [] } });
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

const byName = (evaluation: Evaluation, name: string): RenderedResource => {
    const found = evaluation.resources.find((resource) => resource.name === name);
    assert.ok(found, `no resource ${name} among ${evaluation.resources.map((resource) => resource.name).join(", ")}`);
    return found;
};

describe("ArgoCd (component, mock runtime)", function () {
    this.timeout(120_000);
    let withCredentials: Evaluation;
    let publicRepo: Evaluation;
    const cloud = new HashingCloud();

    before(async () => {
        withCredentials = await evaluate(true, cloud);
        publicRepo = await evaluate(false);
    });

    it("is one component whose children are all parented to it", () => {
        const component = withCredentials.resources.find((resource) => resource.type === "boutique:delivery:ArgoCd");
        assert.equal(component?.name, "gitops");
        const children = withCredentials.resources.filter((resource) => resource.parent === "gitops").map((resource) => resource.name);
        for (const child of [
            "argocd-namespace",
            "gitops-admin-password",
            "gitops-admin-login",
            "gitops-network-policies",
            "argocd",
            "gitops-repository",
            "gitops-application",
        ])
            assert.ok(children.includes(child), `${child} is not a child: ${children.join(", ")}`);
    });

    it("keeps Argo CD out of the mesh, after what it is given to wait for", () => {
        const ns = byName(withCredentials, "argocd-namespace");
        assert.deepEqual(dig(ns.inputs, "metadata"), { name: "argocd", labels: { "istio-injection": "disabled" } });
        assert.ok(ns.dependsOn.includes("cluster"));
    });

    it("installs the pinned chart with readable values, the admin password's hash in argocd-secret (secret), the password a secret output", () => {
        const release = withCredentials.resources.find((resource) => resource.type === "kubernetes:helm.sh/v3:Release");
        assert.deepEqual(
            [release?.inputs.chart, release?.inputs.version, dig(release?.inputs, "repositoryOpts", "repo")],
            ["argo-cd", "10.1.1", "https://argoproj.github.io/argo-helm"],
        );
        assert.equal(release?.inputs.namespace, "argocd");
        assert.equal(dig(release?.inputs, "values", "configs", "cm", "kustomize.buildOptions"), "--enable-helm", "the values are not secret");
        assert.equal(dig(release?.inputs, "values", "configs", "secret", "createSecret"), false);
        assert.ok(!JSON.stringify(release?.inputs.values).includes("$2a$"), "no hash in the values");
        const login = byName(withCredentials, "gitops-admin-login");
        assert.deepEqual(dig(login.inputs, "metadata"), {
            name: "argocd-secret",
            namespace: "argocd",
            labels: { "app.kubernetes.io/name": "argocd-secret", "app.kubernetes.io/part-of": "argocd" },
        });
        assert.equal(dig(login.inputs, "stringData"), SECRET);
        assert.equal(cloud.hashes.length, 1, "one admin password");
        assert.ok(!JSON.stringify(withCredentials.resources).includes(cloud.hashes[0]), "the hash appears nowhere in clear");
        for (const waited of ["cluster", "argocd-namespace", "gitops-network-policies", "gitops-admin-login"])
            assert.ok(release?.dependsOn.includes(waited), waited);
        assert.equal(withCredentials.stackOutputs.adminPassword, SECRET);
    });

    it("writes the repository's credentials as a secret, only when they are set", () => {
        const secret = byName(withCredentials, "gitops-repository");
        assert.deepEqual(dig(secret.inputs, "metadata", "labels"), { "argocd.argoproj.io/secret-type": "repository" });
        assert.equal(dig(secret.inputs, "stringData"), SECRET);
        assert.ok(!JSON.stringify(withCredentials.resources).includes("t0ken"), "the password appears nowhere in clear");
        assert.equal(
            publicRepo.resources.find((resource) => resource.name === "gitops-repository"),
            undefined,
        );
    });

    it("applies the AppProject and Application after the release (its CRDs) and the credentials", () => {
        const application = byName(withCredentials, "gitops-application");
        for (const waited of ["argocd", "gitops-repository"])
            assert.ok(application.dependsOn.includes(waited), `${waited}: ${application.dependsOn.join(", ")}`);
        const kinds = (dig(application.inputs, "objs") as { kind: string }[]).map((object) => object.kind);
        assert.deepEqual(kinds, ["AppProject", "Application"]);
        const policies = dig(byName(withCredentials, "gitops-network-policies").inputs, "objs") as unknown[];
        assert.deepEqual(dig(policies, 0, "spec", "egress", 2, "ports"), [
            { port: 8443, protocol: "TCP" },
            { port: 443, protocol: "TCP" },
        ]);
    });
});
