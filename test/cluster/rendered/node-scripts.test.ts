import { strict as assert } from "assert";
import { encodeFileBundle } from "../../../components/cluster/rendered/node-files";
import {
    asRootCommand,
    KUBERNETES_SYSCTLS,
    CONTROL_PLANE_BRING_UP_PATHS,
    JOIN_PATHS,
    NODE_PATHS,
    renderBringUpControlPlaneScript,
    renderJoinNodeScript,
    renderPrepareNodeScript,
    renderRemoveNodeScript,
} from "../../../components/cluster/rendered/node-scripts";
import { renderedScripts } from "../../support/scripts-fixtures";
import { withSandbox } from "../../support/scripts-sandbox";
import { shellcheck } from "../../support/scripts-shellcheck";
import { requireTool } from "../../support/tools";

describe("node scripts", () => {
    describe("NODE_PATHS", () => {
        it("are the paths the components and scripts agree on", () => {
            assert.deepEqual(NODE_PATHS, {
                prepared: "/var/lib/boutique/node-prepared",
                haproxyPrepared: "/var/lib/boutique/haproxy-prepared",
                logDir: "/var/log/boutique",
            });
        });
    });

    describe("input validation", () => {
        const removal = (nodeName: string, drainTimeoutSeconds: number) => () => renderRemoveNodeScript({ nodeName, drainTimeoutSeconds });
        const cases: [string, () => unknown, RegExp][] = [
            ["an upper-case node name", removal("Worker-1", 300), /nodeName "Worker-1" must be a DNS label/],
            ["a node name with _", () => renderJoinNodeScript({ nodeName: "worker_1" }), /nodeName "worker_1" must be a DNS label/],
            [
                "a node name with a quote",
                () => renderBringUpControlPlaneScript({ nodeName: "cp'1", nodeAddress: "10.0.0.1", apiServerEndpoint: "10.0.0.2:6443", mayInitialize: false }),
                /nodeName "cp'1" must be a DNS label/,
            ],
            ["an empty node name", removal("", 300), /nodeName "" must be a DNS label/],
            ["a node name of 64 characters", removal("a".repeat(64), 300), /nodeName "a{64}" must be a DNS label/],
            ["a node name ending in -", removal("worker-", 300), /nodeName "worker-" must be a DNS label/],
            ["a zero drain timeout", removal("worker-1", 0), /drainTimeoutSeconds must be a positive whole number of seconds, got 0/],
            ["a negative drain timeout", removal("cp-1", -5), /drainTimeoutSeconds .* got -5/],
            ["a fractional drain timeout", removal("worker-1", 1.5), /drainTimeoutSeconds .* got 1\.5/],
            ["a NaN drain timeout", removal("worker-1", NaN), /drainTimeoutSeconds .* got NaN/],
            [
                "a minor older than 1.31",
                () => renderPrepareNodeScript({ kubernetesVersion: { minor: 30, patch: 2 } }),
                /kubernetesVersion\.minor must be a whole number, 31 or more, got 30/,
            ],
            [
                "a negative patch",
                () => renderPrepareNodeScript({ kubernetesVersion: { minor: 32, patch: -1 } }),
                /kubernetesVersion\.patch must be a whole number, 0 or more, got -1/,
            ],
        ];
        for (const [what, render, message] of cases) {
            it(`rejects ${what}, naming the value`, () => assert.throws(render, message));
        }
    });

    describe("prepare node", () => {
        const pinned = renderPrepareNodeScript({ kubernetesVersion: { minor: 32, patch: 4 } });

        it("installs exactly 1.32.4-* of all three packages, holds them and checks what dpkg installed", () => {
            assert.match(
                pinned,
                /apt_get install --no-install-recommends --allow-change-held-packages 'kubelet=1\.32\.4-\*' 'kubeadm=1\.32\.4-\*' 'kubectl=1\.32\.4-\*'\n/,
            );
            assert.match(pinned, /readonly K8S_PACKAGES=\(kubelet kubeadm kubectl\)/);
            assert.match(pinned, /apt-mark hold "\$\{K8S_PACKAGES\[@\]\}"/);
            assert.match(pinned, /readonly K8S_TAG='v1\.32\.4'/);
            assert.match(pinned, /readonly K8S_APT_VERSION_PATTERN='\^1\\\.32\\\.4-'/);
            assert.match(pinned, /dpkg-query -W -f='\$\{Version\}' "\$package"/);
        });

        it("uses the v1.32 repository with its own key", () => {
            assert.match(pinned, /readonly K8S_REPO='https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.32\/deb\/'/);
            assert.match(pinned, /"\$\{K8S_REPO\}Release\.key"/);
            assert.match(pinned, /deb \[signed-by=\$\{KEYRING#"\$ROOT"\}\] \$K8S_REPO \//);
            assert.match(pinned, /readonly KEYRING="\$ROOT\/etc\/apt\/keyrings\//);
        });

        it("persists and verifies every sysctl the kubelet needs, and loads the modules", () => {
            for (const [key, value] of KUBERNETES_SYSCTLS) {
                assert.ok(pinned.includes(`\n${key} = ${value}\n`), `${key} persisted`);
                assert.ok(pinned.includes(`check_sysctl ${key} ${value}\n`), `${key} verified`);
            }
            assert.match(pinned, /\noverlay\nbr_netfilter\nEOF\n\s+modprobe overlay\n\s+modprobe br_netfilter/);
            assert.match(pinned, /swapoff -a/);
        });

        it("configures containerd with the systemd cgroup driver and kubeadm's pause image", () => {
            assert.match(pinned, /SystemdCgroup\[\[:space:\]\]\*=\[\[:space:\]\]\*\)false\/\\1true\//);
            assert.match(pinned, /kubeadm config images list --kubernetes-version "\$K8S_TAG"/);
            assert.match(pinned, /DPkg::Lock::Timeout=180/);
        });

        it("writes the marker last, with the release, and skips installs when it matches and dpkg agrees", () => {
            const main = pinned.slice(pinned.indexOf("\nmain() {"));
            const body = main.slice(0, main.indexOf("\n}\n"));
            assert.match(body.trimEnd().split("\n").slice(-2).join("\n"), /install_if_changed "\$PREPARED" 0644 <<<"\$K8S_TAG"/);
            assert.match(pinned, /\[ "\$marker" = "\$K8S_TAG" \] && packages_at_wanted_version/);
        });
    });

    describe("asRootCommand", () => {
        it("wraps the script in sudo -n bash -c and a quoted here-document", () => {
            assert.equal(asRootCommand("echo hi"), `sudo -n bash -c "$(cat <<'BOUTIQUE_SCRIPT'\necho hi\nBOUTIQUE_SCRIPT\n)" boutique-node-script`);
        });

        it("rejects a script that contains the delimiter", () => {
            assert.throws(() => asRootCommand("echo one\nBOUTIQUE_SCRIPT\necho two\n"), /asRootCommand: the script contains "BOUTIQUE_SCRIPT"/);
            assert.throws(() => asRootCommand("echo BOUTIQUE_SCRIPT)"), /contains "BOUTIQUE_SCRIPT"/);
        });

        for (const shell of ["bash", "sh"] as const) {
            it(`delivers every rendered script to sudo byte for byte when the login shell is ${shell}`, () => {
                withSandbox(["sudo"], [], (sandbox) => {
                    for (const { label, script } of renderedScripts()) {
                        const run = sandbox.run(asRootCommand(script), { shell, asCommandString: true, env: { STUB_SUDO_EXEC: "0" } });
                        assert.equal(run.status, 0, `${label}: ${run.stderr}`);
                        assert.equal(sandbox.sudoScript(), script.replace(/\n+$/, ""), label);
                    }
                });
            });

            it(`passes the command's stdin through to the script (login shell ${shell})`, () => {
                withSandbox(["sudo"], [], (sandbox) => {
                    const stdin = "line one\n  spaced line\n0600 /etc/x eA==\n";
                    const run = sandbox.run(asRootCommand('#!/usr/bin/env bash\nset -euo pipefail\necho "$0"\ncat\n'), { shell, asCommandString: true, stdin });
                    assert.equal(run.status, 0, run.stderr);
                    assert.equal(run.stdout, `boutique-node-script\n${stdin}`);
                    assert.match(run.calls[0], /^sudo -n bash -c /);
                });
            });
        }

        it("carries a file bundle through to a control plane's bring-up", () => {
            withSandbox(["sudo", "kubeadm", "kubectl"], [{ match: "^kubectl .* get --raw /readyz", exit: 1 }], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const bundle = encodeFileBundle([
                    { path: CONTROL_PLANE_BRING_UP_PATHS.initConfig, mode: "0644", content: "kind: InitConfiguration\n" },
                    { path: CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig, mode: "0600", content: "kind: Config\n" },
                    { path: JOIN_PATHS.joinConfig, mode: "0644", content: "token: BOUTIQUE_BOOTSTRAP_TOKEN\n" },
                ]);
                const script = renderBringUpControlPlaneScript({
                    nodeName: "boutique-cp-0",
                    nodeAddress: "10.10.0.8",
                    apiServerEndpoint: "10.10.0.2:6443",
                    mayInitialize: true,
                });
                const run = sandbox.run(asRootCommand(script), { shell: "sh", asCommandString: true, stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(sandbox.read(CONTROL_PLANE_BRING_UP_PATHS.initConfig), "kind: InitConfiguration\n");
                assert.ok(run.calls.some((call) => call.startsWith("kubeadm init --config")));
            });
        });
    });

    describe("shellcheck", () => {
        it("rejects a deliberately bad snippet (the harness can fail)", function () {
            requireTool(this, "shellcheck", "apt-get install shellcheck");
            const check = shellcheck("#!/usr/bin/env bash\nfiles=$(ls *.txt)\nfor f in $files; do rm $f; done\nif [ $1 == x ]; then echo; fi\n");
            assert.equal(check.passed, false);
            assert.match(check.report, /SC2086/);
        });

        for (const { label, script } of renderedScripts()) {
            it(`passes: ${label}`, function () {
                requireTool(this, "shellcheck", "apt-get install shellcheck");
                const check = shellcheck(script);
                assert.ok(check.passed, check.report);
            });

            it(`passes as the asRootCommand string (sh and bash): ${label}`, function () {
                requireTool(this, "shellcheck", "apt-get install shellcheck");
                for (const shell of ["sh", "bash"] as const) {
                    const check = shellcheck(asRootCommand(script), shell);
                    assert.ok(check.passed, `${shell}: ${check.report}`);
                }
            });
        }
    });
});
