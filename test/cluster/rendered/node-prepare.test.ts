import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PREPARE_NODE_FILES, renderPrepareNodeUnit } from "../../../components/cluster/rendered/node-prepare-unit";
import { KUBERNETES_SYSCTLS, NODE_PATHS, renderPrepareNodeScript, renderPrepareNodeStartupScript } from "../../../components/cluster/rendered/node-scripts";
import { PREPARE_STATUS_FIELDS, PREPARE_STATUS_PATH } from "../../../components/cluster/rendered/node-scripts-prepare-status";
import { modeOf, ScriptRun, ScriptSandbox, StubRule, withSandbox } from "../../support/scripts-sandbox";
import { restartDelay, restartPolicyOf, unitSettings } from "../../support/systemd-restart";
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

// The unit, its startup script and the prepare script; the join's wait and the exact release are in node-prepare-join.test.ts.
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
});
