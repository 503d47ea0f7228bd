import { strict as assert } from "assert";
import { SCALER } from "../../components/autoscaling/autoscaler-values";
import { SCALER_CREDENTIALS } from "../../components/autoscaling/scaler-objects";
import { CREDENTIAL_FILE } from "../../components/shared/workload-identity";
import { SCALER_PROJECT_ROLES } from "../../components/autoscaling/scaler-access";
import { Evaluation } from "../../render/evaluation";
import { dig } from "../fixtures";
import { byName, evaluateDev, manifestObjects, ofType } from "../support/program";
import { devWithSecrets, SecretCapturingCloud } from "../support/secret-capturing-cloud";

/** Every resource `name` waits for, through dependencies and parents, transitively. */
function upstreamOf(evaluation: Evaluation, name: string): Set<string> {
    const byResource = new Map(evaluation.resources.map((resource) => [resource.name, resource]));
    const seen = new Set<string>();
    const visit = (current: string) => {
        const resource = byResource.get(current);
        for (const next of [...(resource?.dependsOn ?? []), ...(resource?.parent ? [resource.parent] : [])]) {
            if (!seen.has(next)) {
                seen.add(next);
                visit(next);
            }
        }
    };
    visit(name);
    return seen;
}

// What autoscaling may reach and what reaches it: the worker pool, Google Cloud, its keys, the cluster's way out.
describe("autoscaling in the cluster (dev stack, mock runtime)", function () {
    this.timeout(120_000);
    let cloud: SecretCapturingCloud;
    let evaluation: Evaluation;
    before(async () => {
        ({ cloud, evaluation } = await devWithSecrets());
    });

    it("nothing of it depends on the worker pool, so a scale update (target WorkerPool + dependents) never redeploys it", () => {
        const inPool = evaluation.resources.find((resource) => resource.parent === "workers");
        assert.ok(inPool && upstreamOf(evaluation, inPool.name).has("workers"), "the check sees the pool behind what it holds");
        const mine = evaluation.resources.filter((resource) => resource.name.startsWith("autoscaling") && !resource.name.startsWith("autoscaling-monitors"));
        assert.ok(mine.length > 15, `${mine.length} resources`);
        for (const resource of mine) {
            const upstream = [...upstreamOf(evaluation, resource.name)];
            assert.deepEqual(
                upstream.filter((name) => name === "workers" || name.startsWith("worker-")),
                [],
                `${resource.name} waits for the worker pool`,
            );
        }
    });

    it("acts on Google Cloud as its own account: only the scaler's Kubernetes service account may use it, with no key", () => {
        const federated = byName(evaluation, "autoscaling-access-federated").inputs;
        assert.equal(federated.role, "roles/iam.workloadIdentityUser");
        assert.match(
            String(federated.member),
            /^principal:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/boutique-dev-[0-9a-f]+\/subject\/system:serviceaccount:autoscaler:scaler$/,
        );
        const projectRoles = ofType(evaluation, "gcp:projects/iAMMember:IAMMember")
            .filter((grant) => grant.parent === "autoscaling-access")
            .map((grant) => grant.inputs.role);
        assert.deepEqual(projectRoles.sort(), [...SCALER_PROJECT_ROLES].sort());
        assert.equal(byName(evaluation, "autoscaling-access-state").inputs.bucket, "boutique-dev-000000-pulumi-state");
        assert.equal(ofType(evaluation, "gcp:serviceaccount/key:Key").length, 0);
        const credential = manifestObjects(evaluation).find(
            (object) => object.kind === "ConfigMap" && object.metadata.namespace === SCALER.namespace && object.metadata.name === SCALER_CREDENTIALS.configMap,
        );
        const file = JSON.parse(String(dig(credential, "data", CREDENTIAL_FILE))) as Record<string, unknown>;
        assert.match(
            String(file.service_account_impersonation_url),
            /serviceAccounts\/boutique-dev-scaler@boutique-dev-000000\.iam\.gserviceaccount\.com:generateAccessToken$/,
        );
    });

    it("the mounted private keys are the generated ones and appear nowhere in state or the render", () => {
        const everything = JSON.stringify(evaluation.resources) + JSON.stringify(evaluation.artifacts) + JSON.stringify(evaluation.stackOutputs);
        for (const name of ["autoscaling-scaler-tls", "autoscaling-cloud-config"]) {
            const key = (cloud.secrets.get(name)?.["tls.key"] ?? "").trim();
            assert.ok(cloud.secretValues.has(key), `${name}: tls.key is a key the tls provider generated`);
            assert.ok(!everything.includes(key), `${name}: tls.key leaked`);
        }
        assert.notEqual(
            cloud.secrets.get("autoscaling-scaler-tls")?.["tls.key"],
            cloud.secrets.get("autoscaling-cloud-config")?.["tls.key"],
            "server and client keys differ",
        );
    });

    it("reaches HAProxy's public API server and SSH bastion from the cluster's one reserved NAT address", () => {
        assert.equal(byName(evaluation, "network-egress-ip").inputs.addressType, "EXTERNAL");
        const nat = byName(evaluation, "network-nat").inputs;
        assert.equal(nat.natIpAllocateOption, "MANUAL_ONLY");
        const natIps = nat.natIps as string[];
        assert.equal(natIps.length, 1);
        assert.match(natIps[0], /\/regions\/[a-z0-9-]+\/addresses\/network-egress-ip-[0-9a-f]+$/, "the NAT uses the reserved address");
        const egressIp = String(evaluation.stackOutputs.egressIp);
        assert.match(egressIp, /^\d+\.\d+\.\d+\.\d+$/);
        assert.notEqual(egressIp, evaluation.stackOutputs.haproxyPublicIp);
        const rule = byName(evaluation, "network-allow-cluster-egress-admin").inputs;
        assert.deepEqual([rule.sourceRanges, rule.targetTags, dig(rule, "allows", 0, "ports")], [[`${egressIp}/32`], ["haproxy"], ["22", "6443"]]);
    });

    it("is absent when autoscaler.enabled is false, and so is the cluster's way in", async () => {
        const off = await evaluateDev({ autoscaler: "{}" });
        assert.deepEqual(
            off.resources.filter((resource) => resource.name.startsWith("autoscaling")),
            [],
        );
        assert.deepEqual(
            ofType(off, "gcp:compute/firewall:Firewall").filter((rule) => rule.name.includes("egress")),
            [],
        );
        assert.equal(byName(off, "network-nat").inputs.natIpAllocateOption, "MANUAL_ONLY", "the egress address stays reserved");
    });
});
