import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { encodeFileBundle } from "../../../components/cluster/rendered/node-files";
import { PREPARE_NODE_FILES, renderPrepareNodeUnit } from "../../../components/cluster/rendered/node-prepare-unit";
import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "../../../components/cluster/rendered/kubeadm-config";
import {
    JOIN_PATHS,
    KUBERNETES_SYSCTLS,
    NODE_PATHS,
    renderJoinNodeScript,
    renderPrepareNodeScript,
    renderPrepareNodeStartupScript,
} from "../../../components/cluster/rendered/node-scripts";
import { PREPARE_STATUS_FIELDS, PREPARE_STATUS_PATH } from "../../../components/cluster/rendered/node-scripts-prepare-status";
import { modeOf, ScriptRun, ScriptSandbox, StubRule, withSandbox } from "../../support/scripts-sandbox";
import { restartDelay, restartPolicyOf, unitSettings } from "../../support/systemd-restart";
import { renderedScripts } from "../../support/scripts-fixtures";
import { evaluateDev } from "../../support/program";
import { skipOrFail } from "../../support/tools";

const RELEASE = { minor: 32, patch: 4 } as const;
const prepareScript = renderPrepareNodeScript({ kubernetesVersion: RELEASE });
const startupScript = renderPrepareNodeStartupScript({ kubernetesVersion: RELEASE });
const unit = renderPrepareNodeUnit();
const RELEASE_KEY_URL = "https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key";

/** The tools the preparation calls, each a stub; curl and gpg also write their -o file. */
const PREPARE_TOOLS = ["apt-get", "apt-mark", "curl", "gpg", "dpkg", "dpkg-query", "kubeadm", "containerd", "modprobe", "sysctl", "swapoff", "systemctl"];
const WORKING_TOOLS: readonly StubRule[] = [
    ...KUBERNETES_SYSCTLS.map(([key, value]) => ({ match: `^sysctl -n ${key.replace(/\./g, "\\.")}$`, stdout: `${value}\n` })),
    { match: "^kubeadm version -o short$", stdout: "v1.32.4\n" },
    { match: "^kubeadm config images list ", stdout: "registry.k8s.io/kube-apiserver:v1.32.4\nregistry.k8s.io/pause:3.10\n" },
    { match: "^containerd config default$", stdout: '[plugins]\n  sandbox_image = "registry.k8s.io/pause:3.8"\n  SystemdCgroup = false\n' },
    { match: "^dpkg-query -W ", stdout: "1.32.4-1.1" },
];
const APT_DOWN: StubRule = { match: "^apt-get .* update$", exit: 100, stdout: "E: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/noble/InRelease\n" };
const KEY_DOWN: StubRule = { match: "^curl ", exit: 22 };

/** Makes `tool` write the file after its `-o` (when its stub rules let it succeed), as curl and gpg do. */
function writesOutputFile(sandbox: ScriptSandbox, tool: string): void {
    const bin = path.join(sandbox.dir, "bin");
    fs.mkdirSync(path.join(sandbox.dir, "generic"), { recursive: true });
    fs.renameSync(path.join(bin, tool), path.join(sandbox.dir, "generic", tool));
    const wrapper = `#!/usr/bin/env bash
out="" previous=""
for arg in "$@"; do [ "$previous" = -o ] && out=$arg; previous=$arg; done
"$STUB_DIR/generic/$(basename "$0")" "$@" || exit $?
[ -z "$out" ] || echo "fake $(basename "$0") output" >"$out"
`;
    fs.writeFileSync(path.join(bin, tool), wrapper, { mode: 0o755 });
}

function prepareSandbox(body: (sandbox: ScriptSandbox) => void): void {
    withSandbox(PREPARE_TOOLS, WORKING_TOOLS, (sandbox) => {
        writesOutputFile(sandbox, "curl");
        writesOutputFile(sandbox, "gpg");
        sandbox.write("/etc/fstab", "LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1\n");
        body(sandbox);
    });
}

type Status = Record<(typeof PREPARE_STATUS_FIELDS)[number], string>;

function statusOf(sandbox: ScriptSandbox): Status {
    const lines = sandbox.read(PREPARE_STATUS_PATH).trimEnd().split("\n");
    assert.deepEqual(
        lines.map((line) => line.slice(0, line.indexOf("="))),
        [...PREPARE_STATUS_FIELDS],
    );
    return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)])) as Status;
}

/** Every file under the sandbox root outside /run, with its content and mtime. */
function diskSnapshot(sandbox: ScriptSandbox): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (full === sandbox.path("/run")) continue;
            if (entry.isDirectory()) walk(full);
            else files.set(full.slice(sandbox.root.length), `${fs.statSync(full).mtimeMs} ${fs.readFileSync(full, "base64")}`);
        }
    };
    walk(sandbox.root);
    return files;
}

describe("node preparation (systemd unit, retried until it succeeds)", () => {
    describe("the unit", () => {
        const settings = unitSettings(unit);

        it("is a oneshot that stays active once prepared, restarts on failure without a start limit, after the network, at boot", () => {
            assert.deepEqual(Object.fromEntries(settings.get("Unit") ?? []), {
                Description: "Prepare this node for Kubernetes (kernel settings, containerd, kubelet/kubeadm/kubectl)",
                Wants: "network-online.target",
                After: "network-online.target",
                StartLimitIntervalSec: "0",
            });
            const service = settings.get("Service");
            assert.equal(service?.get("Type"), "oneshot");
            assert.equal(service?.get("RemainAfterExit"), "yes");
            assert.equal(service?.get("ExecStart"), PREPARE_NODE_FILES.script);
            assert.equal(service?.get("Restart"), "on-failure");
            assert.equal(service?.get("TimeoutStartSec"), "1800s", "a hung attempt fails and is retried");
            assert.equal(settings.get("Install")?.get("WantedBy"), "multi-user.target");
        });

        it("backs off 15 s, 30 s, 60 s, then every 120 s: bounded and growing (systemd's formula on the rendered values)", () => {
            const policy = restartPolicyOf(unit);
            const delays = Array.from({ length: 8 }, (_, i) => Math.round(restartDelay(policy, i + 1)));
            assert.deepEqual(delays, [15, 30, 60, 120, 120, 120, 120, 120]);
            for (let i = 1; i < delays.length; i++) assert.ok(delays[i] >= delays[i - 1], `delay ${i + 1} does not shrink`);
            assert.ok(Math.max(...delays) <= policy.restartMaxDelaySec);
            // systemd's own example (man systemd.service): 10s, 20s, 40s, 80s, 160s.
            assert.deepEqual(
                [1, 2, 3, 4, 5, 6].map((n) => Math.round(restartDelay({ restartSec: 10, restartSteps: 4, restartMaxDelaySec: 160 }, n))),
                [10, 20, 40, 80, 160, 160],
            );
        });

        it("passes systemd-analyze verify", function () {
            const tool = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
            if (tool.error) skipOrFail(this, "systemd-analyze is not installed (apt-get install systemd)");
            const version = Number(/systemd (\d+)/.exec(tool.stdout)?.[1] ?? 0);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepare-unit-"));
            try {
                // ExecStart must exist for verify: point it at a stand-in script.
                const exec = path.join(dir, "prepare");
                fs.writeFileSync(exec, "#!/bin/sh\n", { mode: 0o755 });
                const file = path.join(dir, PREPARE_NODE_FILES.unitName);
                fs.writeFileSync(file, unit.replace(`ExecStart=${PREPARE_NODE_FILES.script}`, `ExecStart=${exec}`));
                const run = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
                const findings = `${run.stdout}${run.stderr}`.split("\n").filter((line) => line.trim() !== "");
                // RestartSteps= and RestartMaxDelaySec= are systemd 254+ (Ubuntu 24.04 has 255); an older
                // systemd-analyze only reports them unknown, which is all it may report.
                const tolerated = version < 254 ? findings.filter((line) => /Unknown key '(RestartSteps|RestartMaxDelaySec)'/.test(line)) : [];
                if (tolerated.length > 0)
                    console.log(
                        `      note: systemd-analyze ${version} predates RestartSteps/RestartMaxDelaySec (254); ignoring: ${tolerated.length} unknown-key lines`,
                    );
                assert.deepEqual(
                    findings.filter((line) => !tolerated.includes(line)),
                    [],
                );
                assert.equal(run.status, 0);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("the startup script (fake systemctl)", () => {
        it("installs the prepare script (0755) and the unit (0644), enables and starts it without waiting; a reboot rewrites nothing and only starts it", () => {
            withSandbox(["systemctl"], [], (sandbox) => {
                const first = sandbox.run(startupScript);
                assert.equal(first.status, 0, first.stderr);
                assert.equal(sandbox.read(PREPARE_NODE_FILES.script), prepareScript);
                assert.equal(sandbox.read(PREPARE_NODE_FILES.unit), unit);
                assert.equal(modeOf(sandbox.path(PREPARE_NODE_FILES.script)), "0755");
                assert.equal(modeOf(sandbox.path(PREPARE_NODE_FILES.unit)), "0644");
                const unitName = PREPARE_NODE_FILES.unitName;
                assert.deepEqual(first.calls, ["systemctl daemon-reload", `systemctl enable --quiet ${unitName}`, `systemctl restart --no-block ${unitName}`]);
                const before = diskSnapshot(sandbox);
                const reboot = sandbox.run(startupScript);
                assert.equal(reboot.status, 0, reboot.stderr);
                assert.deepEqual(reboot.calls, [`systemctl enable --quiet ${unitName}`, `systemctl start --no-block ${unitName}`]);
                assert.deepEqual(diskSnapshot(sandbox), before);
            });
        });
    });

    describe("the prepare script, driven as systemd drives it (fakes: apt down twice, then the key download once)", () => {
        it("fails, records the failing step, is restarted after growing delays, and succeeds when the step recovers; a reboot changes no file", () => {
            prepareSandbox((sandbox) => {
                const failuresByAttempt: readonly (readonly StubRule[])[] = [[APT_DOWN], [APT_DOWN], [KEY_DOWN], []];
                const policy = restartPolicyOf(unit);
                const statuses: Status[] = [];
                const delays: number[] = [];
                let last: ScriptRun;
                for (let attempt = 1; ; attempt++) {
                    sandbox.setRules([...(failuresByAttempt[attempt - 1] ?? []), ...WORKING_TOOLS]);
                    last = sandbox.run(prepareScript);
                    statuses.push(statusOf(sandbox));
                    if (last.status === 0) break;
                    assert.equal(last.status, 1, "a failed attempt exits non-zero, which Restart=on-failure restarts");
                    assert.ok(attempt < 10, "gave up: the preparation never succeeded");
                    delays.push(Math.round(restartDelay(policy, attempt)));
                }
                const summary = statuses.map(({ state, step, attempt, error }) => ({ state, step, attempt, error }));
                assert.deepEqual(summary, [
                    { state: "failed", step: "base-packages", attempt: "1", error: "apt-get update failed" },
                    { state: "failed", step: "base-packages", attempt: "2", error: "apt-get update failed" },
                    { state: "failed", step: "kubernetes-repository", attempt: "3", error: `cannot download ${RELEASE_KEY_URL}` },
                    { state: "prepared", step: "marker", attempt: "4", error: "" },
                ]);
                assert.match(statuses[3].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
                assert.deepEqual(delays, [15, 30, 60], "each restart waits longer than the last, within the bound");
                assert.equal(sandbox.read(NODE_PATHS.prepared), "v1.32.4\n");
                assert.ok(
                    last.calls.includes(
                        "apt-get -q -y -o DPkg::Lock::Timeout=180 -o Acquire::Retries=3 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install --no-install-recommends --allow-change-held-packages kubelet=1.32.4-* kubeadm=1.32.4-* kubectl=1.32.4-*",
                    ),
                    last.calls.join("\n"),
                );
                assert.ok(last.calls.includes("apt-mark hold kubelet kubeadm kubectl"));
                assert.deepEqual(
                    last.calls.filter((call) => call.startsWith("dpkg-query")).slice(0, 3),
                    ["kubelet", "kubeadm", "kubectl"].map((name) => `dpkg-query -W -f=\${Version} ${name}`),
                );
                assert.equal(
                    sandbox.read("/etc/apt/sources.list.d/kubernetes.list"),
                    "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /\n",
                );
                assert.match(sandbox.read("/etc/containerd/config.toml"), /SystemdCgroup = true\n/);
                assert.match(sandbox.read("/etc/containerd/config.toml"), /sandbox_image = "registry\.k8s\.io\/pause:3\.10"/);

                // A reboot: /run is empty again; the unit runs the script once more.
                const before = diskSnapshot(sandbox);
                fs.rmSync(sandbox.path("/run"), { recursive: true, force: true });
                const reboot = sandbox.run(prepareScript);
                assert.equal(reboot.status, 0, reboot.stderr);
                assert.match(reboot.stderr, /already prepared \(kubelet, kubeadm, kubectl v1\.32\.4\)/);
                assert.deepEqual(
                    reboot.calls.filter((call) => /^(apt-get|apt-mark|curl|gpg|dpkg |containerd|systemctl)/.test(call)),
                    [],
                    "no package, repository or service work",
                );
                assert.deepEqual(diskSnapshot(sandbox), before, "no file outside /run changed");
                assert.deepEqual({ state: statusOf(sandbox).state, attempt: statusOf(sandbox).attempt }, { state: "prepared", attempt: "1" });
            });
        });

        it("names the command that failed under set -e when no step gave a message", () => {
            prepareSandbox((sandbox) => {
                sandbox.setRules([{ match: "^modprobe br_netfilter$", exit: 1 }, ...WORKING_TOOLS]);
                const run = sandbox.run(prepareScript);
                assert.equal(run.status, 1);
                const status = statusOf(sandbox);
                assert.deepEqual([status.state, status.step, status.error], ["failed", "kernel-modules", "'modprobe br_netfilter' failed with exit status 1"]);
            });
        });

        it("leaves a node already in the cluster at another release alone (kubeadm upgrade's job)", () => {
            prepareSandbox((sandbox) => {
                sandbox.setRules([{ match: "^kubeadm version -o short$", stdout: "v1.31.7\n" }, ...WORKING_TOOLS]);
                sandbox.write("/etc/kubernetes/kubelet.conf", "kubelet");
                const run = sandbox.run(prepareScript);
                assert.equal(run.status, 0, run.stderr);
                assert.match(run.stderr, /runs kubeadm v1\.31\.7 in the cluster but v1\.32\.4 is wanted; packages left alone/);
                assert.deepEqual(
                    run.calls.filter((call) => /^(apt-get|apt-mark)/.test(call)),
                    [],
                );
            });
        });
    });

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
