import { strict as assert } from "assert";
import { CLUSTER_AUTOSCALER_RELEASES } from "../../config/autoscaler-config";
import { StackConfigError } from "../../config/stack-config";
import { devConfig } from "../fixtures";

const ENABLED = {
    enabled: true,
    scalerImage: "europe-west1-docker.pkg.dev/p-123456/platform/boutique-scaler:1.2.0",
    stateBackend: "gs://p-123456-pulumi-state/boutique",
    secretsProvider: "gcpkms://projects/p-123456/locations/global/keyRings/pulumi/cryptoKeys/state",
};

const withAutoscaler = (autoscaler: unknown, extra: Record<string, string> = {}) => devConfig({ autoscaler: JSON.stringify(autoscaler), ...extra }).autoscaler;

function problemsOf(autoscaler: unknown, extra: Record<string, string> = {}): string {
    try {
        withAutoscaler(autoscaler, extra);
    } catch (error) {
        if (error instanceof StackConfigError) return error.problems.join("\n");
        throw error;
    }
    assert.fail(`accepted ${JSON.stringify(autoscaler)}`);
}

describe("autoscaler config", () => {
    it("is off unless enabled, and the dev stack enables it", () => {
        assert.equal(withAutoscaler({}), undefined);
        assert.equal(withAutoscaler({ enabled: false }), undefined);
        assert.equal(devConfig().autoscaler?.stateBackend.bucket, "boutique-dev-000000-pulumi-state");
    });

    it("derives the bucket and the KMS key; a pinned Kubernetes minor is accepted", () => {
        const config = withAutoscaler(ENABLED, { "boutique-platform:kubernetesVersion": "1.34.2" });
        assert.deepEqual(config, {
            scalerImage: ENABLED.scalerImage,
            stateBackend: { url: ENABLED.stateBackend, bucket: "p-123456-pulumi-state" },
            secretsProvider: { url: ENABLED.secretsProvider, kmsKey: "projects/p-123456/locations/global/keyRings/pulumi/cryptoKeys/state" },
            scaleDownUnneededTime: "10m",
            scaleUpdateMinutes: 8,
        });
        assert.equal(CLUSTER_AUTOSCALER_RELEASES[34], "v1.34.5");
    });

    it("scaling from zero needs a machine type whose capacity the template node knows; with workers kept, any type goes", () => {
        const zero = { minWorkers: "0", workerCount: "0", lokiReplicas: "1", lokiNodeCount: "1" };
        assert.throws(
            () => withAutoscaler(ENABLED, { ...zero, workerMachineType: "c3-standard-4" }),
            /boutique-platform:workerMachineType = "c3-standard-4": is not in the scaler's machine table .* minWorkers 0/,
        );
        assert.equal(withAutoscaler(ENABLED, { ...zero, workerMachineType: "n2-standard-8" })?.scaleUpdateMinutes, 8);
        assert.equal(withAutoscaler(ENABLED, { workerMachineType: "c3-standard-4" })?.scaleUpdateMinutes, 8);
    });

    const refused: [string, unknown, RegExp, Record<string, string>?][] = [
        ["a missing image", { ...ENABLED, scalerImage: undefined }, /autoscaler\.scalerImage must be set when autoscaler\.enabled is true/],
        [
            "an image without a tag",
            { ...ENABLED, scalerImage: "europe-west1-docker.pkg.dev/p/platform/boutique-scaler" },
            /autoscaler\.scalerImage must be an image reference with a tag or digest/,
        ],
        ["the latest tag", { ...ENABLED, scalerImage: "ghcr.io/acme/boutique-scaler:latest" }, /autoscaler\.scalerImage must pin a tag or digest, not latest/],
        ["a local state backend", { ...ENABLED, stateBackend: "file:///var/state" }, /autoscaler\.stateBackend must be a gs:\/\/<bucket>/],
        ["a bad bucket name", { ...ENABLED, stateBackend: "gs://UPPER" }, /autoscaler\.stateBackend must name a valid bucket/],
        ["a passphrase provider", { ...ENABLED, secretsProvider: "passphrase" }, /autoscaler\.secretsProvider must be gcpkms:\/\/projects\/<project>/],
        ["a bad duration", { ...ENABLED, scaleDownUnneededTime: "ten minutes" }, /autoscaler\.scaleDownUnneededTime must be a duration/],
        ["a scale update budget too short", { ...ENABLED, scaleUpdateMinutes: 1 }, /autoscaler\.scaleUpdateMinutes must be at least 2/],
        ["a fractional scale update budget", { ...ENABLED, scaleUpdateMinutes: 7.5 }, /autoscaler\.scaleUpdateMinutes must be a whole number of minutes/],
        ["an unknown field", { ...ENABLED, replicas: 2 }, /autoscaler has unknown field\(s\) replicas/],
        ["fields while disabled", { scalerImage: ENABLED.scalerImage }, /autoscaler\.scalerImage is set but autoscaler\.enabled is not true/],
        ["not an object", "yes", /autoscaler must be an object/],
        [
            "a Kubernetes minor with no autoscaler pinned",
            ENABLED,
            /needs a cluster-autoscaler release for Kubernetes 1\.40; releases are pinned for 1\.31, .*1\.36/,
            { "boutique-platform:kubernetesVersion": "1.40.0" },
        ],
    ];
    for (const [what, autoscaler, message, extra] of refused) {
        it(`rejects ${what}, naming the key and the field`, () => {
            const problems = problemsOf(autoscaler, extra);
            // A structured key's messages name the field; the value (which may hold a secret) is never quoted.
            assert.match(problems, /^boutique-platform:autoscaler: /m);
            assert.doesNotMatch(problems, /boutique-platform:autoscaler = /);
            assert.match(problems, message);
        });
    }
});
