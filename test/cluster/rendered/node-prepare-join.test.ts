import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { encodeFileBundle } from "../../../components/cluster/rendered/node-files";
import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "../../../components/cluster/rendered/kubeadm-config";
import { JOIN_PATHS, NODE_PATHS, renderJoinNodeScript } from "../../../components/cluster/rendered/node-scripts";
import { PREPARE_STATUS_PATH } from "../../../components/cluster/rendered/node-scripts-prepare-status";
import { withSandbox } from "../../support/scripts-sandbox";
import { renderedScripts } from "../../support/scripts-fixtures";
import { evaluateDev } from "../../support/program";

// The join's wait for node preparation, and the exact release every install names; the unit and the prepare script are in node-prepare.test.ts.
describe("node preparation (systemd unit, retried until it succeeds)", () => {
    describe("the join's wait (wait_for_prepared_node)", () => {
        const join = renderJoinNodeScript({ nodeName: "boutique-dev-worker-3" });
        const bundle = encodeFileBundle([
            { path: JOIN_PATHS.joinConfig, mode: "0644", content: `kind: JoinConfiguration\ntoken: ${BOOTSTRAP_TOKEN_PLACEHOLDER}\n` },
            { path: JOIN_PATHS.token, mode: "0600", content: "abcdef.0123456789abcdef" },
        ]);
        const status = (state: string, step: string, attempt: number, error = "") =>
            `state=${state}\nstep=${step}\nattempt=${attempt}\nerror=${error}\ntime=2026-11-28T10:0${attempt}:00Z\n`;

        it("logs each change of the preparation's status while it waits, then joins", () => {
            withSandbox(["kubeadm"], [], (sandbox) => {
                // Each poll's `sleep 5` is a fake that moves the preparation on: two attempts, then prepared.
                const queue = [
                    status("running", "base-packages", 1),
                    status("failed", "base-packages", 1, "apt-get update failed"),
                    status("running", "base-packages", 2),
                    status("running", "containerd", 2),
                ];
                queue.forEach((text, i) => sandbox.write(`/queue/${i}`, text));
                const sleep = `#!/usr/bin/env bash
next=$(ls "$BOUTIQUE_TEST_ROOT/queue" | sort -n | head -n 1)
if [ -n "$next" ]; then
  mkdir -p "$(dirname "$BOUTIQUE_TEST_ROOT${PREPARE_STATUS_PATH}")"
  mv "$BOUTIQUE_TEST_ROOT/queue/$next" "$BOUTIQUE_TEST_ROOT${PREPARE_STATUS_PATH}"
else
  mkdir -p "$(dirname "$BOUTIQUE_TEST_ROOT${NODE_PATHS.prepared}")"
  echo v1.32.4 >"$BOUTIQUE_TEST_ROOT${NODE_PATHS.prepared}"
fi
`;
                fs.writeFileSync(path.join(sandbox.dir, "bin", "sleep"), sleep, { mode: 0o755 });
                const run = sandbox.run(join, { stdin: bundle, env: { BOUTIQUE_TEST_WAIT_SECONDS: "900" } });
                assert.equal(run.status, 0, run.stderr);
                const progress = run.stderr.split("\n").filter((line) => line.startsWith("join-node: node preparation: "));
                assert.deepEqual(progress, [
                    "join-node: node preparation: not started yet",
                    "join-node: node preparation: attempt 1, step base-packages: running at 2026-11-28T10:01:00Z",
                    "join-node: node preparation: attempt 1, step base-packages: failed (apt-get update failed) at 2026-11-28T10:01:00Z",
                    "join-node: node preparation: attempt 2, step base-packages: running at 2026-11-28T10:02:00Z",
                    "join-node: node preparation: attempt 2, step containerd: running at 2026-11-28T10:02:00Z",
                ]);
                assert.deepEqual(
                    run.calls.map((call) => call.replace(sandbox.root, "").replace(/\.join\.\w+$/, ".join.TMP")),
                    ["kubeadm join --config /etc/kubernetes/boutique/.join.TMP"],
                );
            });
        });

        it("on timeout fails with the last status and the end of the unit's journal", () => {
            const journal = "Nov 28 10:02:00 worker-3 prepare-node[812]: prepare-node: error: apt-get update failed\n";
            withSandbox(["kubeadm", "journalctl"], [{ match: "^journalctl ", stdout: journal }], (sandbox) => {
                sandbox.write(PREPARE_STATUS_PATH, status("failed", "base-packages", 2, "apt-get update failed"));
                const run = sandbox.run(join, { stdin: bundle });
                assert.equal(run.status, 1);
                assert.ok(run.stderr.includes(journal), run.stderr);
                assert.match(
                    run.stderr,
                    /gave up after 0s waiting for this node's preparation \(boutique-prepare-node\.service\); last status: attempt 2, step base-packages: failed \(apt-get update failed\) at 2026-11-28T10:02:00Z\n$/,
                );
                assert.deepEqual(run.calls, ["journalctl --unit boutique-prepare-node.service --lines 20 --no-pager"]);
            });
        });
    });

    describe("one exact release on every package install", () => {
        /** Install lines (apt-get or the scripts' apt_get) naming a Kubernetes package, each package with what follows it. */
        const kubernetesInstalls = (script: string) =>
            script
                .split("\n")
                .filter((line) => /\bapt(-get|_get)\b.*\binstall\b/.test(line) && /\b(kubelet|kubeadm|kubectl)\b/.test(line))
                .map((line) => ({
                    line,
                    packages: [...line.matchAll(/'?\b(kubelet|kubeadm|kubectl)\b([^\s']*)'?/g)].map((match) => `${match[1]}${match[2]}`),
                }));

        const assertExact = (label: string, script: string, release: string) => {
            for (const { line, packages } of kubernetesInstalls(script)) {
                assert.deepEqual(
                    packages,
                    packages.map((spec) => `${spec.split("=")[0]}=${release}-*`),
                    `${label}: ${line.trim()}`,
                );
            }
        };

        it("every rendered node script's install lines name =1.32.4-* for kubelet, kubeadm and kubectl", () => {
            let installs = 0;
            for (const { label, script } of renderedScripts()) {
                assertExact(label, script, "1.32.4");
                installs += kubernetesInstalls(script).length;
            }
            assert.ok(installs >= 2, "the prepare script and the startup script that carries it each install the packages");
        });

        it("so do the rendered program's node files, at the stack's release", async () => {
            const evaluation = await evaluateDev({ kubernetesVersion: "1.33.1" });
            const nodeFiles = Object.entries(evaluation.artifacts).filter(([file]) => file.startsWith("nodes/"));
            const startupScripts = nodeFiles.filter(([file]) => file.endsWith("/startup-script.sh") && !file.startsWith("nodes/haproxy/"));
            assert.ok(startupScripts.length >= 4, "control planes and workers have startup scripts");
            for (const [file, text] of nodeFiles) assertExact(file, text, "1.33.1");
            for (const [file, text] of startupScripts) assert.equal(kubernetesInstalls(text).length, 1, file);
            assert.match(evaluation.artifacts["nodes/cp-0/kubeadm-init.yaml"], /^kubernetesVersion: v1\.33\.1$/m);
        });
    });
});
