import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderReleaseVolumesScript } from "../../components/platform/volume-release-script";

/** Runs the script against a fake kubectl: `pvRounds` listings still show the claim's PV, then none. */
function run(pvRounds: number, waitSeconds?: number): { status: number | null; stderr: string; calls: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-volumes-"));
    const calls = path.join(dir, "calls");
    fs.writeFileSync(
        path.join(dir, "kubectl"),
        `#!/usr/bin/env bash
echo "$*" >> ${calls}
case "$*" in
  *"get pv"*) n=$(grep -c "get pv" ${calls}); if [ "$n" -le ${pvRounds} ]; then printf 'logging/data-loki-0 pvc-1 disk-1\\nother/x pvc-2 disk-2\\n'; fi ;;
  *"get statefulset"*) echo statefulset.apps/loki-write ;;
  *"get nodes"*) printf 'worker-0 Unknown\\ncp-0 True\\n' ;;
  *"-n logging get pods"*) printf 'loki-write-0 worker-0\\nloki-read-0 cp-0\\n' ;;
esac
`,
        { mode: 0o755 },
    );
    fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\n", { mode: 0o755 });
    const env = {
        ...process.env,
        PATH: `${dir}:${process.env.PATH}`,
        ...(waitSeconds === undefined ? {} : { BOUTIQUE_TEST_WAIT_SECONDS: String(waitSeconds) }),
    };
    const result = spawnSync("bash", ["-c", renderReleaseVolumesScript(["monitoring", "logging"])], { env, encoding: "utf8" });
    // Every call goes through kc: the admin kubeconfig, then the arguments.
    const lines = fs.readFileSync(calls, "utf8").trim().split("\n");
    assert.ok(
        lines.every((line) => line.startsWith("--kubeconfig /etc/kubernetes/admin.conf ")),
        lines.join("\n"),
    );
    return { status: result.status, stderr: result.stderr, calls: lines.map((line) => line.replace("--kubeconfig /etc/kubernetes/admin.conf ", "")) };
}

describe("the destroy-time volume release (release-volumes)", () => {
    it("stops the StatefulSets, deletes the claims, forces pods stuck on a gone node, waits for the PVs", () => {
        const { status, calls } = run(2);
        assert.equal(status, 0);
        assert.ok(calls.includes("-n logging scale statefulset --all --replicas=0"));
        assert.ok(calls.includes("-n monitoring delete pvc --all --wait=false"));
        assert.ok(calls.includes("-n logging delete pod loki-write-0 --force --grace-period=0"));
        assert.ok(!calls.some((call) => call.includes("delete pod loki-read-0")), "a pod on a Ready node ends by itself");
        assert.equal(calls.filter((call) => call.startsWith("get pv")).length, 3);
    });

    it("fails on the timeout, naming the disks left (only the claims of its namespaces)", () => {
        const { status, stderr } = run(1_000_000, 0);
        assert.match(stderr, /release-volumes: error: after 0s these volumes/);
        assert.equal(status, 1);
        assert.match(stderr, /logging\/data-loki-0 pvc-1 disk-1/);
        assert.doesNotMatch(stderr, /other\/x/);
    });

    it("refuses a namespace that is not a name", () => {
        assert.throws(() => renderReleaseVolumesScript(["a b"]), /not a namespace name/);
    });
});
