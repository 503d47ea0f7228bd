import { strict as assert } from "assert";
import * as fs from "fs";
import { encodeFileBundle } from "../components/node-files";
import {
    asRootCommand,
    KUBERNETES_SYSCTLS,
    NODE_PATHS,
    renderApplyHaproxyConfigScript,
    renderInitControlPlaneScript,
    renderIssueJoinTokenScript,
    renderJoinNodeScript,
    renderLeaveControlPlaneScript,
    renderPrepareNodeScript,
    renderRemoveNodeScript,
} from "../components/node-scripts";
import { renderedScripts } from "./support/scripts-fixtures";
import { callIndex, ScriptSandbox, StubRule } from "./support/scripts-sandbox";
import { shellcheck } from "./support/scripts-shellcheck";
import { requireTool } from "./support/tools";

const TOKEN = "abcdef.0123456789abcdef";
const CERT_KEY = "0123456789abcdef".repeat(4);
const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0");

/** Runs `body` with a sandbox of the given stub tools, always cleaned up. */
function withSandbox(tools: readonly string[], rules: readonly StubRule[], body: (sandbox: ScriptSandbox) => void): void {
    const sandbox = new ScriptSandbox(tools, rules);
    try {
        body(sandbox);
    } finally {
        sandbox.cleanup();
    }
}

describe("node scripts", () => {
    describe("NODE_PATHS", () => {
        it("are the paths the components and scripts agree on", () => {
            assert.deepEqual(NODE_PATHS, {
                kubeadmConfig: "/etc/kubernetes/boutique/kubeadm.yaml",
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
            ["a node name with _", () => renderIssueJoinTokenScript({ nodeName: "worker_1", uploadCertificates: false }), /nodeName "worker_1" must be a DNS label/],
            ["a node name with a quote", () => renderLeaveControlPlaneScript({ nodeName: "cp'1", drainTimeoutSeconds: 60 }), /nodeName "cp'1" must be a DNS label/],
            ["an empty node name", removal("", 300), /nodeName "" must be a DNS label/],
            ["a node name of 64 characters", removal("a".repeat(64), 300), /nodeName "a{64}" must be a DNS label/],
            ["a node name ending in -", removal("worker-", 300), /nodeName "worker-" must be a DNS label/],
            ["a zero drain timeout", removal("worker-1", 0), /drainTimeoutSeconds must be a positive whole number of seconds, got 0/],
            ["a negative drain timeout", () => renderLeaveControlPlaneScript({ nodeName: "cp-1", drainTimeoutSeconds: -5 }), /drainTimeoutSeconds .* got -5/],
            ["a fractional drain timeout", removal("worker-1", 1.5), /drainTimeoutSeconds .* got 1\.5/],
            ["a NaN drain timeout", removal("worker-1", NaN), /drainTimeoutSeconds .* got NaN/],
            ["a minor older than 1.31", () => renderPrepareNodeScript({ kubernetesVersion: { minor: 30 } }), /kubernetesVersion\.minor must be a whole number, 31 or more, got 30/],
            ["a negative patch", () => renderPrepareNodeScript({ kubernetesVersion: { minor: 32, patch: -1 } }), /kubernetesVersion\.patch must be a whole number, 0 or more, got -1/],
        ];
        for (const [what, render, message] of cases) {
            it(`rejects ${what}, naming the value`, () => assert.throws(render, message));
        }
    });

    describe("prepare node", () => {
        const pinned = renderPrepareNodeScript({ kubernetesVersion: { minor: 32, patch: 4 } });
        const newest = renderPrepareNodeScript({ kubernetesVersion: { minor: 32 } });

        it("pins 1.32.4-* when a patch is given, and holds the packages", () => {
            assert.match(pinned, /readonly K8S_PACKAGES=\('kubelet=1\.32\.4-\*' 'kubeadm=1\.32\.4-\*' 'kubectl=1\.32\.4-\*'\)/);
            assert.match(pinned, /readonly K8S_VERSION_PATTERN='\^v1\\\.32\\\.4\$'/);
            assert.match(pinned, /apt-mark hold kubelet kubeadm kubectl/);
        });

        it("takes the newest 1.32 patch when only the minor is given", () => {
            assert.match(newest, /readonly K8S_PACKAGES=\('kubelet' 'kubeadm' 'kubectl'\)/);
            assert.match(newest, /readonly K8S_VERSION_PATTERN='\^v1\\\.32\\\.\[0-9\]\+\$'/);
            assert.doesNotMatch(newest, /1\.32\.\d+-\*/);
        });

        it("uses the v1.32 repository with its own key either way", () => {
            for (const script of [pinned, newest]) {
                assert.match(script, /readonly K8S_REPO='https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.32\/deb\/'/);
                assert.match(script, /"\$\{K8S_REPO\}Release\.key"/);
                assert.match(script, /deb \[signed-by=\$KEYRING\] \$K8S_REPO \//);
                assert.match(script, /readonly KEYRING=\/etc\/apt\/keyrings\//);
            }
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
            assert.match(pinned, /kubeadm config images list --kubernetes-version "\$version"/);
            assert.match(pinned, /DPkg::Lock::Timeout=180/);
        });

        it("writes the marker last, with the installed kubeadm version, and skips installs when it matches", () => {
            const install = pinned.slice(pinned.indexOf("install_kubernetes() {"));
            const body = install.slice(0, install.indexOf("\n}\n"));
            assert.match(body.trimEnd().split("\n").slice(-2).join("\n"), /install_if_changed "\$PREPARED" 0644 <<<"\$version"/);
            assert.match(pinned, /\[ "\$marker" = "\$installed" \] && \[\[ \$installed =~ \$K8S_VERSION_PATTERN \]\]/);
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

        it("carries a file bundle through to init-control-plane", () => {
            withSandbox(["sudo", "kubeadm", "kubectl"], [], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const bundle = encodeFileBundle([{ path: NODE_PATHS.kubeadmConfig, mode: "0600", content: "kind: InitConfiguration\n" }]);
                const run = sandbox.run(asRootCommand(renderInitControlPlaneScript()), { shell: "sh", asCommandString: true, stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(sandbox.read(NODE_PATHS.kubeadmConfig), "kind: InitConfiguration\n");
            });
        });
    });

    describe("shellcheck", () => {
        it("rejects a deliberately bad snippet (the harness can fail)", function () {
            requireTool(this, "shellcheck", "apt-get install shellcheck");
            const check = shellcheck('#!/usr/bin/env bash\nfiles=$(ls *.txt)\nfor f in $files; do rm $f; done\nif [ $1 == x ]; then echo; fi\n');
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

    describe("remove-node (fake kubectl)", () => {
        const script = renderRemoveNodeScript({ nodeName: "boutique-worker-3", drainTimeoutSeconds: 300 });
        const exists: StubRule = { match: "^kubectl .* get node boutique-worker-3 ", stdout: "node/boutique-worker-3\n" };

        it("cordons, drains with the timeout (evictions, not --disable-eviction), then deletes the node", () => {
            withSandbox(["kubectl"], [exists], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.equal(run.calls.length, 4, run.calls.join("\n"));
                assert.match(run.calls[0], /get node boutique-worker-3 --ignore-not-found -o name$/);
                assert.match(run.calls[1], /^kubectl --kubeconfig \S+\/etc\/kubernetes\/admin\.conf cordon boutique-worker-3$/);
                assert.match(run.calls[2], / drain boutique-worker-3 --ignore-daemonsets --delete-emptydir-data --force --timeout=300s$/);
                assert.doesNotMatch(run.calls[2], /disable-eviction/);
                assert.match(run.calls[3], / delete node boutique-worker-3 --ignore-not-found$/);
            });
        });

        it("uncordons, deletes nothing and fails when the drain fails", () => {
            withSandbox(["kubectl"], [exists, { match: " drain ", exit: 1, stdout: "error: cannot evict pod as it would violate the pod's disruption budget\n" }], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.deepEqual(
                    run.calls.map((call) => call.split(" ")[3]),
                    ["get", "cordon", "drain", "uncordon"],
                );
                assert.equal(callIndex(run.calls, / delete /), -1);
                assert.match(run.stderr, /removal of node boutique-worker-3 aborted: the drain failed; the node is back in service/);
            });
        });

        it("exits 0 after only the lookup when the node does not exist", () => {
            withSandbox(["kubectl"], [], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.equal(run.calls.length, 1);
                assert.match(run.calls[0], / get node boutique-worker-3 /);
                assert.match(run.stderr, /node boutique-worker-3 does not exist; nothing to remove/);
            });
        });

        it("fails without touching the node when the API server does not answer", () => {
            withSandbox(["kubectl"], [{ match: " get node ", exit: 1 }], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.equal(run.calls.length, 1);
                assert.match(run.stderr, /the API server did not answer within 0s; node boutique-worker-3 left as it is/);
            });
        });
    });

    describe("leave-control-plane (fake kubectl, kubeadm)", () => {
        const script = renderLeaveControlPlaneScript({ nodeName: "boutique-cp-1", drainTimeoutSeconds: 120 });
        const exists: StubRule = { match: "^kubectl .* get node ", stdout: "node/boutique-cp-1\n" };

        it("drains itself, then runs kubeadm reset -f", () => {
            withSandbox(["kubectl", "kubeadm"], [exists], (sandbox) => {
                sandbox.write("/etc/kubernetes/admin.conf", "admin");
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(
                    run.calls.map((call) => call.replace(/ --kubeconfig \S+/, "")),
                    [
                        "kubectl get node boutique-cp-1 --ignore-not-found -o name",
                        "kubectl cordon boutique-cp-1",
                        "kubectl drain boutique-cp-1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s",
                        "kubeadm reset -f",
                    ],
                );
                assert.equal(modeOf(sandbox.path(`${NODE_PATHS.logDir}/kubeadm-reset.log`)), "0600");
            });
        });

        it("uncordons and fails without a reset when the drain fails", () => {
            withSandbox(["kubectl", "kubeadm"], [exists, { match: " drain ", exit: 1 }], (sandbox) => {
                sandbox.write("/etc/kubernetes/admin.conf", "admin");
                const run = sandbox.run(script);
                assert.equal(run.status, 1);
                assert.notEqual(callIndex(run.calls, / uncordon boutique-cp-1$/), -1);
                assert.equal(callIndex(run.calls, /^kubeadm/), -1);
            });
        });

        it("does nothing on a node that was already reset", () => {
            withSandbox(["kubectl", "kubeadm"], [], (sandbox) => {
                const run = sandbox.run(script);
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(run.calls, []);
                assert.match(run.stderr, /already reset/);
            });
        });
    });

    describe("issue-join-token (fake kubectl, kubeadm)", () => {
        const created: StubRule = { match: "^kubeadm token create ", stdout: `${TOKEN}\n` };

        it("prints exactly the token on stdout, and uploads no certificates for a worker", () => {
            withSandbox(["kubectl", "kubeadm"], [created], (sandbox) => {
                const run = sandbox.run(renderIssueJoinTokenScript({ nodeName: "boutique-worker-3", uploadCertificates: false }));
                assert.equal(run.status, 0, run.stderr);
                assert.equal(run.stdout, `${TOKEN}\n`);
                assert.deepEqual(
                    run.calls.map((call) => call.replace(/ --kubeconfig \S+/, "")),
                    ["kubectl get --raw /readyz", "kubeadm token create --ttl 15m --description join boutique-worker-3"],
                );
                assert.doesNotMatch(run.stderr, new RegExp(TOKEN.replace(".", "\\.")));
            });
        });

        it("uploads the certificates with the key from stdin first, for a control plane", () => {
            withSandbox(["kubectl", "kubeadm"], [created], (sandbox) => {
                const run = sandbox.run(renderIssueJoinTokenScript({ nodeName: "boutique-cp-1", uploadCertificates: true }), { stdin: `${CERT_KEY}\n` });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(run.stdout, `${TOKEN}\n`);
                const upload = callIndex(run.calls, /^kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print --certificate-key [0-9a-f]{64} --kubeconfig /);
                assert.ok(upload >= 0, run.calls.join("\n"));
                assert.ok(run.calls[upload].includes(CERT_KEY));
                assert.ok(callIndex(run.calls, /readyz/) < upload && upload < callIndex(run.calls, /token create/));
                assert.ok(!run.stderr.includes(CERT_KEY), "the key is never printed");
                assert.equal(modeOf(sandbox.path(`${NODE_PATHS.logDir}/kubeadm-upload-certs.log`)), "0600");
            });
        });

        it("accepts the key without a trailing newline (as Pulumi may send it)", () => {
            withSandbox(["kubectl", "kubeadm"], [created], (sandbox) => {
                const run = sandbox.run(renderIssueJoinTokenScript({ nodeName: "boutique-cp-1", uploadCertificates: true }), { stdin: CERT_KEY });
                assert.equal(run.status, 0, run.stderr);
                assert.notEqual(callIndex(run.calls, new RegExp(`--certificate-key ${CERT_KEY} `)), -1);
            });
        });

        for (const [what, stdin] of [
            ["a short key", "abc123\n"],
            ["a key with non-hex digits", `${"z".repeat(64)}\n`],
            ["no key", ""],
        ] as const) {
            it(`rejects ${what} before calling anything`, () => {
                withSandbox(["kubectl", "kubeadm"], [created], (sandbox) => {
                    const run = sandbox.run(renderIssueJoinTokenScript({ nodeName: "boutique-cp-1", uploadCertificates: true }), { stdin });
                    assert.equal(run.status, 1);
                    assert.equal(run.stdout, "");
                    assert.deepEqual(run.calls, []);
                    assert.match(run.stderr, /stdin must hold the certificate key: 64 hex digits/);
                });
            });
        }

        it("fails with nothing on stdout when kubeadm prints something that is not a token", () => {
            withSandbox(["kubectl", "kubeadm"], [{ match: "^kubeadm token create ", stdout: "W0101 warning\n" }], (sandbox) => {
                const run = sandbox.run(renderIssueJoinTokenScript({ nodeName: "boutique-worker-3", uploadCertificates: false }));
                assert.equal(run.status, 1);
                assert.equal(run.stdout, "");
            });
        });

        it("fails without a token when the API server is not ready", () => {
            withSandbox(["kubectl", "kubeadm"], [created, { match: "readyz", exit: 1 }], (sandbox) => {
                const run = sandbox.run(renderIssueJoinTokenScript({ nodeName: "boutique-worker-3", uploadCertificates: false }));
                assert.equal(run.status, 1);
                assert.equal(run.stdout, "");
                assert.equal(callIndex(run.calls, /token create/), -1);
                assert.match(run.stderr, /did not answer \/readyz/);
            });
        });
    });

    describe("apply-haproxy-config (fake haproxy, systemctl)", () => {
        const script = renderApplyHaproxyConfigScript();
        const live = "/etc/haproxy/haproxy.cfg";
        const prepared = (sandbox: ScriptSandbox) => {
            sandbox.write(NODE_PATHS.haproxyPrepared, "HAProxy version 2.8\n");
            sandbox.write(live, "# good old config\n");
        };

        it("leaves the live config untouched and fails when haproxy -c rejects the new one", () => {
            withSandbox(["haproxy", "systemctl"], [{ match: "^haproxy -c ", exit: 1, stdout: "[ALERT] config : parsing [x:1] : unknown keyword 'bogus'\n" }], (sandbox) => {
                prepared(sandbox);
                const run = sandbox.run(script, { stdin: "bogus\n" });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /\[ALERT\] config : parsing \[x:1\] : unknown keyword 'bogus'/);
                assert.match(run.stderr, /haproxy -c rejected the new config/);
                assert.equal(sandbox.read(live), "# good old config\n");
                assert.equal(callIndex(run.calls, /^systemctl/), -1);
                assert.deepEqual(fs.readdirSync(sandbox.path("/etc/haproxy")), ["haproxy.cfg"], "no temp file left");
            });
        });

        it("checks, installs (0644) and reloads a valid new config", () => {
            withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                prepared(sandbox);
                const run = sandbox.run(script, { stdin: "# new config\n" });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(sandbox.read(live), "# new config\n");
                assert.equal(modeOf(sandbox.path(live)), "0644");
                assert.deepEqual(
                    run.calls.map((call) => call.replace(/-f \S+/, "-f <new>")),
                    ["haproxy -c -f <new>", "systemctl enable --quiet haproxy", "systemctl reload-or-restart haproxy", "systemctl is-active --quiet haproxy"],
                );
                assert.deepEqual(fs.readdirSync(sandbox.path("/etc/haproxy")), ["haproxy.cfg"]);
            });
        });

        it("does not reload when the new config is identical", () => {
            withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                prepared(sandbox);
                const run = sandbox.run(script, { stdin: "# good old config\n" });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(callIndex(run.calls, /reload/), -1);
                assert.match(run.stderr, /unchanged; no reload/);
            });
        });

        it("puts the previous config back when haproxy does not come up with the new one", () => {
            withSandbox(["haproxy", "systemctl"], [{ match: "^systemctl is-active", exit: 3 }], (sandbox) => {
                prepared(sandbox);
                const run = sandbox.run(script, { stdin: "# new config\n" });
                assert.equal(run.status, 1);
                assert.equal(sandbox.read(live), "# good old config\n");
                assert.match(run.stderr, /the previous config is back/);
            });
        });

        it("gives up (bounded) when haproxy was never installed", () => {
            withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                sandbox.write(live, "# good old config\n");
                const run = sandbox.run(script, { stdin: "# new config\n" });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /gave up after 0s waiting for the startup script to install haproxy/);
                assert.equal(sandbox.read(live), "# good old config\n");
                assert.deepEqual(run.calls, []);
            });
        });

        it("accepts a config the real haproxy -c accepts and refuses one it rejects", function () {
            requireTool(this, "haproxy", "apt-get install haproxy");
            withSandbox(["systemctl"], [], (sandbox) => {
                prepared(sandbox);
                const good = "global\n  log stdout format raw local0\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nfrontend api\n  bind 127.0.0.1:16443\n  default_backend cp\nbackend cp\n  server cp-0 127.0.0.1:6443\n";
                assert.equal(sandbox.run(script, { stdin: good }).status, 0);
                assert.equal(sandbox.read(live), good);
                const bad = sandbox.run(script, { stdin: `${good}backend cp\n  bogus_keyword yes\n` });
                assert.equal(bad.status, 1);
                assert.match(bad.stderr, /bogus_keyword/);
                assert.equal(sandbox.read(live), good);
            });
        });
    });

    describe("init-control-plane (fake kubeadm, kubectl)", () => {
        const script = renderInitControlPlaneScript();
        const bundle = encodeFileBundle([
            { path: "/etc/kubernetes/pki/ca.key", mode: "0600", content: "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n" },
            { path: NODE_PATHS.kubeadmConfig, mode: "0600", content: "kind: InitConfiguration\n" },
        ]);
        const kubeadmOutput = `Your Kubernetes control-plane has initialized successfully!\nkubeadm join 10.0.0.2:6443 --token ${TOKEN} --discovery-token-ca-cert-hash sha256:${CERT_KEY}\n`;

        it("installs the bundle, runs kubeadm init once and deletes init's bootstrap token, printing no token", () => {
            withSandbox(["kubeadm", "kubectl"], [{ match: "^kubeadm init ", stdout: kubeadmOutput }], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(
                    run.calls.map((call) => call.replace(sandbox.root, "")),
                    [
                        "kubeadm init --config /etc/kubernetes/boutique/kubeadm.yaml --skip-token-print",
                        "kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system delete secret --field-selector type=bootstrap.kubernetes.io/token",
                    ],
                );
                assert.match(run.stdout, /^control plane initialized; init's bootstrap token deleted \(log: \/var\/log\/boutique\/kubeadm-init\.log\)\n$/);
                assert.ok(!`${run.stdout}${run.stderr}`.includes(TOKEN));
                const log = sandbox.path(`${NODE_PATHS.logDir}/kubeadm-init.log`);
                assert.equal(modeOf(log), "0600");
                assert.ok(fs.readFileSync(log, "utf8").includes(TOKEN), "the full output is kept in the root-only log");
                assert.equal(modeOf(sandbox.path("/etc/kubernetes/pki/ca.key")), "0600");
            });
        });

        it("on failure prints a redacted log tail, resets the node and fails", () => {
            withSandbox(["kubeadm", "kubectl"], [{ match: "^kubeadm init ", exit: 1, stdout: `${kubeadmOutput}error execution phase wait-control-plane\n` }], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /--token <redacted-token> --discovery-token-ca-cert-hash sha256:<redacted-key>/);
                assert.match(run.stderr, /error execution phase wait-control-plane/);
                assert.ok(!`${run.stdout}${run.stderr}`.includes(TOKEN) && !`${run.stdout}${run.stderr}`.includes(CERT_KEY));
                assert.notEqual(callIndex(run.calls, /^kubeadm reset -f$/), -1);
                assert.equal(callIndex(run.calls, /^kubectl/), -1);
                assert.match(run.stderr, /kubeadm init failed \(node reset for a retry\)/);
            });
        });

        it("does nothing (and installs nothing) on a node already initialized", () => {
            withSandbox(["kubeadm", "kubectl"], [], (sandbox) => {
                sandbox.write("/etc/kubernetes/admin.conf", "admin");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(run.calls, []);
                assert.match(run.stdout, /already initialized/);
                assert.ok(!sandbox.exists(NODE_PATHS.kubeadmConfig));
            });
        });

        it("gives up (bounded) when the startup script never finishes", () => {
            withSandbox(["kubeadm", "kubectl"], [], (sandbox) => {
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /gave up after 0s waiting for this node's startup script/);
                assert.deepEqual(run.calls, []);
            });
        });

        it("fails when the bundle has no kubeadm config", () => {
            withSandbox(["kubeadm", "kubectl"], [], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(script, { stdin: encodeFileBundle([{ path: "/etc/kubernetes/pki/ca.crt", mode: "0644", content: "x" }]) });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /no kubeadm config at \/etc\/kubernetes\/boutique\/kubeadm\.yaml/);
                assert.deepEqual(run.calls, []);
            });
        });
    });

    describe("join-node (fake kubeadm)", () => {
        const script = renderJoinNodeScript();
        const bundle = encodeFileBundle([{ path: NODE_PATHS.kubeadmConfig, mode: "0600", content: `kind: JoinConfiguration\ntoken: ${TOKEN}\n` }]);

        it("installs the JoinConfiguration (0600) and runs kubeadm join with it", () => {
            withSandbox(["kubeadm"], [], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(run.calls.map((call) => call.replace(sandbox.root, "")), ["kubeadm join --config /etc/kubernetes/boutique/kubeadm.yaml"]);
                assert.equal(modeOf(sandbox.path(NODE_PATHS.kubeadmConfig)), "0600");
                assert.equal(modeOf(sandbox.path(`${NODE_PATHS.logDir}/kubeadm-join.log`)), "0600");
            });
        });

        it("resets the node after a failed join so that a retry starts clean", () => {
            withSandbox(["kubeadm"], [{ match: "^kubeadm join ", exit: 1, stdout: `[discovery] using token ${TOKEN}\nerror: timed out\n` }], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 1);
                assert.deepEqual(
                    run.calls.map((call) => call.replace(sandbox.root, "")),
                    ["kubeadm join --config /etc/kubernetes/boutique/kubeadm.yaml", "kubeadm reset -f"],
                );
                assert.match(run.stderr, /using token <redacted-token>/);
                assert.ok(!run.stderr.includes(TOKEN));
            });
        });

        it("does nothing on a node that has already joined", () => {
            withSandbox(["kubeadm"], [], (sandbox) => {
                sandbox.write("/etc/kubernetes/kubelet.conf", "kubelet");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(run.calls, []);
                assert.match(run.stdout, /already joined/);
            });
        });
    });
});
