import { strict as assert } from "assert";
import { CONFIG_KEYS, parseStackConfig, RESTORE_CONTROL_PLANE_KEY, StackConfigError } from "../../config/stack-config";
import { devConfig, devConfigMap } from "../fixtures";
import { BAD_CONFIGS } from "../support/bad-configs";

/** The validation message for a config with these overrides (short keys are the project's). */
function problemsFor(overrides: Record<string, string>): string[] {
    try {
        parseStackConfig(devConfigMap(overrides));
    } catch (error) {
        assert.ok(error instanceof StackConfigError, `expected a StackConfigError, got ${String(error)}`);
        return [...error.problems];
    }
    assert.fail(`config ${JSON.stringify(overrides)} was accepted`);
}

describe("stack config", () => {
    it("accepts the dev stack and types every value", () => {
        const config = devConfig();
        assert.deepEqual(config.gcp, { project: "boutique-dev-000000", region: "europe-west1", zone: "europe-west1-b" });
        assert.equal(config.controlPlane.count, 1);
        assert.deepEqual({ count: config.workers.count, min: config.workers.min, max: config.workers.max }, { count: 3, min: 2, max: 6 });
        assert.deepEqual(config.workers.retiredSlots, []);
        assert.equal(config.network.subnet.cidr, "10.10.0.0/24");
        assert.deepEqual(
            config.network.adminCidrs.map((n) => n.cidr),
            ["203.0.113.0/24"],
        );
        assert.deepEqual(config.kubernetesVersion, { minor: 32, patch: 4 });
        assert.equal(config.nodes.drainTimeoutSeconds, 300);
    });

    it("restores a replaced single control plane from the backups only when told (default false)", () => {
        assert.equal(devConfig().controlPlane.restoreFromBackup, false);
        assert.equal(devConfig({ restoreControlPlaneFromBackup: "true" }).controlPlane.restoreFromBackup, true);
        assert.equal(devConfig({ restoreControlPlaneFromBackup: "false", controlPlaneCount: "3" }).controlPlane.restoreFromBackup, false);
        assert.equal(RESTORE_CONTROL_PLANE_KEY, "boutique-platform:restoreControlPlaneFromBackup");
    });

    it("reads another exact release (with or without a leading v) and three control planes", () => {
        assert.deepEqual(devConfig({ kubernetesVersion: "v1.31.0" }).kubernetesVersion, { minor: 31, patch: 0 });
        const config = devConfig({ kubernetesVersion: "1.33.2", controlPlaneCount: "3" });
        assert.deepEqual(config.kubernetesVersion, { minor: 33, patch: 2 });
        assert.equal(config.controlPlane.count, 3);
    });

    it(`rejects ${BAD_CONFIGS.length} bad configs, each with one message naming key, value and what is allowed`, () => {
        assert.ok(BAD_CONFIGS.length >= 15);
        for (const { overrides, message } of BAD_CONFIGS) {
            assert.deepEqual(problemsFor(overrides), [message], `for ${JSON.stringify(overrides)}`);
        }
    });

    it("reports every bad key at once, in one error", () => {
        const problems = problemsFor({ controlPlaneCount: "2", workerMachineType: "big", drainTimeoutSeconds: "0" });
        assert.equal(problems.length, 3);
        assert.match(problems.join("\n"), /controlPlaneCount[\s\S]*workerMachineType[\s\S]*drainTimeoutSeconds/);
    });

    it("names a missing key (outside the CLI, Pulumi.yaml defaults must be loaded)", () => {
        const raw = devConfigMap();
        delete raw["boutique-platform:adminCidrs"];
        assert.throws(
            () => parseStackConfig(raw),
            (error: StackConfigError) => error.problems[0] === "boutique-platform:adminCidrs (not set): is not set",
        );
    });

    it("declares the keys it reads (gcp:* come from the stack file)", () => {
        assert.deepEqual(
            CONFIG_KEYS.filter((key) => key.startsWith("gcp:")),
            ["gcp:project", "gcp:region", "gcp:zone"],
        );
        assert.equal(CONFIG_KEYS.length, 49);
    });
});
