import { strict as assert } from "assert";
import * as fs from "fs";
import { encodeFileBundle } from "../components/node-files";
import { NODE_PATHS, renderApplyHaproxyConfigScript, renderInitControlPlaneScript, renderJoinNodeScript } from "../components/node-scripts";
import { callIndex, CERT_KEY, modeOf, ScriptSandbox, TOKEN, withSandbox } from "./support/scripts-sandbox";
import { requireTool } from "./support/tools";

describe("node scripts: bring-up", () => {
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
