import { strict as assert } from "assert";
import * as fs from "fs";
import { encodeFileBundle } from "../components/node-files";
import {
    HAPROXY_DROP_IN,
    HAPROXY_FILES,
    NODE_PATHS,
    renderApplyHaproxyConfigScript,
    renderInitControlPlaneScript,
    renderJoinNodeScript,
    renderPrepareHaproxyScript,
} from "../components/node-scripts";
import { renderHaproxyConfig } from "../components/haproxy-config";
import { callIndex, CERT_KEY, modeOf, ScriptSandbox, TOKEN, withSandbox } from "./support/scripts-sandbox";
import { requireTool } from "./support/tools";

describe("node scripts: bring-up", () => {
    describe("prepare-haproxy (fake apt-get, haproxy, systemctl)", () => {
        it("installs haproxy, makes its service load ingress.cfg after haproxy.cfg (restarting it once), and on a later boot changes nothing", () => {
            withSandbox(["apt-get", "haproxy", "systemctl"], [{ match: "^haproxy -v", stdout: "HAProxy version 2.8\n" }], (sandbox) => {
                const first = sandbox.run(renderPrepareHaproxyScript());
                assert.equal(first.status, 0, first.stderr);
                assert.equal(sandbox.read(HAPROXY_FILES.dropIn), HAPROXY_DROP_IN);
                assert.match(HAPROXY_DROP_IN, /^Environment="EXTRAOPTS=-S \/run\/haproxy-master\.sock -f \/etc\/haproxy\/ingress\.cfg"$/m);
                assert.match(sandbox.read(HAPROXY_FILES.ingress), /^# No ingress backends yet/);
                assert.equal(sandbox.read(NODE_PATHS.haproxyPrepared), "HAProxy version 2.8\n");
                const systemctl = (run: { calls: readonly string[] }) => run.calls.filter((call) => call.startsWith("systemctl"));
                assert.deepEqual(systemctl(first), ["systemctl daemon-reload", "systemctl restart haproxy", "systemctl enable --now haproxy"]);
                assert.equal(fs.existsSync(sandbox.path(HAPROXY_FILES.restartPending)), false, "the restart is done");
                const later = sandbox.run(renderPrepareHaproxyScript());
                assert.equal(later.status, 0, later.stderr);
                assert.deepEqual(systemctl(later), ["systemctl enable --now haproxy"]);
                assert.equal(callIndex(later.calls, /^apt-get/), -1);
            });
        });
    });

    describe("apply-haproxy-{api,ingress}-config (fake haproxy, systemctl)", () => {
        const apiScript = renderApplyHaproxyConfigScript("api");
        const ingressScript = renderApplyHaproxyConfigScript("ingress");
        const { api, ingress, dropIn } = HAPROXY_FILES;
        /** A VM whose startup script has run: haproxy installed, both files and the drop-in in place. */
        const prepared = (sandbox: ScriptSandbox) => {
            sandbox.write(NODE_PATHS.haproxyPrepared, "HAProxy version 2.8\n");
            sandbox.write(api, "# good old config\n");
            sandbox.write(ingress, "# good old ingress\n");
            sandbox.write(dropIn, HAPROXY_DROP_IN);
        };
        const calls = (sandbox: ScriptSandbox, run: { calls: readonly string[] }) => run.calls.map((call) => call.split(sandbox.root).join("").replace(/\.new\.\w+/, ".new"));

        it("leaves the live config untouched and fails when haproxy -c rejects the new one", () => {
            withSandbox(["haproxy", "systemctl"], [{ match: "^haproxy -c ", exit: 1, stdout: "[ALERT] config : parsing [x:1] : unknown keyword 'bogus'\n" }], (sandbox) => {
                prepared(sandbox);
                const run = sandbox.run(apiScript, { stdin: "bogus\n" });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /\[ALERT\] config : parsing \[x:1\] : unknown keyword 'bogus'/);
                assert.match(run.stderr, /haproxy -c rejected the new config/);
                assert.equal(sandbox.read(api), "# good old config\n");
                assert.equal(callIndex(run.calls, /^systemctl/), -1);
                assert.deepEqual(fs.readdirSync(sandbox.path("/etc/haproxy")).sort(), ["haproxy.cfg", "ingress.cfg"], "no temp file left");
            });
        });

        it("checks the new file together with the other live one, in load order, installs it (0644) and reloads", () => {
            for (const [script, own, expectedCheck] of [
                [apiScript, api, `haproxy -c -f ${api}.new -f ${ingress}`],
                [ingressScript, ingress, `haproxy -c -f ${api} -f ${ingress}.new`],
            ] as const) {
                withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                    prepared(sandbox);
                    const run = sandbox.run(script, { stdin: "# new config\n" });
                    assert.equal(run.status, 0, run.stderr);
                    assert.equal(sandbox.read(own), "# new config\n");
                    assert.equal(modeOf(sandbox.path(own)), "0644");
                    assert.deepEqual(calls(sandbox, run), [expectedCheck, "systemctl enable --quiet haproxy", "systemctl reload-or-restart haproxy", "systemctl is-active --quiet haproxy"]);
                    assert.deepEqual(fs.readdirSync(sandbox.path("/etc/haproxy")).sort(), ["haproxy.cfg", "ingress.cfg"]);
                });
            }
        });

        it("on a VM without the two-file layout (an older startup script), installs the drop-in and restarts rather than reloads", () => {
            withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                sandbox.write(NODE_PATHS.haproxyPrepared, "HAProxy version 2.8\n");
                sandbox.write(api, "# the whole old config\n");
                const run = sandbox.run(apiScript, { stdin: "# api part\n" });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(sandbox.read(dropIn), HAPROXY_DROP_IN);
                assert.match(sandbox.read(ingress), /^# No ingress backends yet/);
                assert.deepEqual(calls(sandbox, run), [
                    "systemctl daemon-reload",
                    `haproxy -c -f ${api}.new -f ${ingress}`,
                    "systemctl enable --quiet haproxy",
                    "systemctl restart haproxy",
                    "systemctl is-active --quiet haproxy",
                ]);
            });
        });

        it("checks the new file alone while the other does not exist yet", () => {
            withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                prepared(sandbox);
                fs.rmSync(sandbox.path(api));
                const run = sandbox.run(ingressScript, { stdin: "# ingress\n" });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(calls(sandbox, run)[0], `haproxy -c -f ${ingress}.new`);
            });
        });

        it("reloads even an identical file: a run that died after installing it left haproxy on the older one", () => {
            withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                prepared(sandbox);
                const run = sandbox.run(ingressScript, { stdin: "# good old ingress\n" });
                assert.equal(run.status, 0, run.stderr);
                assert.ok(calls(sandbox, run).includes("systemctl reload-or-restart haproxy"), run.calls.join("\n"));
            });
        });

        it("re-run after failing between the drop-in and the restart: restarts then (a reload would not load ingress.cfg), and reloads after that", () => {
            withSandbox(["haproxy", "systemctl"], [{ match: "^haproxy -c ", exit: 1, stdout: "[ALERT] bad\n" }], (sandbox) => {
                sandbox.write(NODE_PATHS.haproxyPrepared, "HAProxy version 2.8\n");
                sandbox.write(api, "# the whole old config\n");
                const failed = sandbox.run(apiScript, { stdin: "# api part\n" });
                assert.equal(failed.status, 1);
                assert.equal(sandbox.read(dropIn), HAPROXY_DROP_IN, "the drop-in is in place, haproxy still runs without it");
                assert.equal(callIndex(failed.calls, /^systemctl (restart|reload)/), -1);

                sandbox.setRules([]);
                const again = sandbox.run(apiScript, { stdin: "# api part\n" });
                assert.equal(again.status, 0, again.stderr);
                assert.ok(calls(sandbox, again).includes("systemctl restart haproxy"), again.calls.join("\n"));
                assert.equal(fs.existsSync(sandbox.path(HAPROXY_FILES.restartPending)), false);

                const ingressRun = sandbox.run(ingressScript, { stdin: "# ingress\n" });
                assert.equal(ingressRun.status, 0, ingressRun.stderr);
                assert.ok(calls(sandbox, ingressRun).includes("systemctl reload-or-restart haproxy"));
                assert.equal(callIndex(ingressRun.calls, /systemctl restart/), -1);
            });
        });

        it("keeps the restart pending while the restart itself fails", () => {
            withSandbox(["haproxy", "systemctl"], [{ match: "^systemctl restart", exit: 1 }], (sandbox) => {
                sandbox.write(NODE_PATHS.haproxyPrepared, "HAProxy version 2.8\n");
                sandbox.write(api, "# the whole old config\n");
                const failed = sandbox.run(apiScript, { stdin: "# api part\n" });
                assert.equal(failed.status, 1);
                assert.equal(fs.existsSync(sandbox.path(HAPROXY_FILES.restartPending)), true);
                sandbox.setRules([]);
                const again = sandbox.run(apiScript, { stdin: "# api part\n" });
                assert.equal(again.status, 0, again.stderr);
                assert.ok(calls(sandbox, again).includes("systemctl restart haproxy"));
            });
        });

        it("puts the previous config back when haproxy does not come up with the new one", () => {
            withSandbox(["haproxy", "systemctl"], [{ match: "^systemctl is-active", exit: 3 }], (sandbox) => {
                prepared(sandbox);
                const run = sandbox.run(ingressScript, { stdin: "# new config\n" });
                assert.equal(run.status, 1);
                assert.equal(sandbox.read(ingress), "# good old ingress\n");
                assert.match(run.stderr, /the previous config is back/);
            });
        });

        it("gives up (bounded) when haproxy was never installed", () => {
            withSandbox(["haproxy", "systemctl"], [], (sandbox) => {
                sandbox.write(api, "# good old config\n");
                const run = sandbox.run(apiScript, { stdin: "# new config\n" });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /gave up after 0s waiting for the startup script to install haproxy/);
                assert.equal(sandbox.read(api), "# good old config\n");
                assert.deepEqual(run.calls, []);
            });
        });

        it("with the real haproxy -c: accepts a pair it accepts, refuses an ingress.cfg that breaks the pair and keeps the good one", function () {
            requireTool(this, "haproxy", "apt-get install haproxy");
            withSandbox(["systemctl"], [], (sandbox) => {
                prepared(sandbox);
                const files = renderHaproxyConfig({ controlPlanes: [{ name: "cp-0", address: "127.0.0.1" }], workers: [{ name: "worker-0", address: "127.0.0.2" }], systemService: false, bindAddress: "127.0.0.1" });
                assert.equal(sandbox.run(apiScript, { stdin: files.api }).status, 0);
                assert.equal(sandbox.run(ingressScript, { stdin: files.ingress }).status, 0);
                assert.deepEqual([sandbox.read(api), sandbox.read(ingress)], [files.api, files.ingress]);
                // Valid on its own, but its backend name clashes with haproxy.cfg's.
                const bad = sandbox.run(ingressScript, { stdin: `${files.ingress}\nbackend kube-apiserver\n    server cp-9 127.0.0.9:6443\n` });
                assert.equal(bad.status, 1);
                assert.match(bad.stderr, /kube-apiserver/);
                assert.equal(sandbox.read(ingress), files.ingress);
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
                assert.match(run.stderr, /gave up after 0s waiting for this node's preparation/);
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
