import { strict as assert } from "assert";
import * as fs from "fs";
import {
    HAPROXY_DROP_IN,
    HAPROXY_FILES,
    NODE_PATHS,
    renderApplyHaproxyConfigScript,
    renderPrepareHaproxyScript,
} from "../../../components/cluster/rendered/node-scripts";
import { renderHaproxyConfig } from "../../../components/cluster/rendered/haproxy-config";
import { callIndex, modeOf, ScriptSandbox, withSandbox } from "../../support/scripts-sandbox";
import { requireTool } from "../../support/tools";

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
        const calls = (sandbox: ScriptSandbox, run: { calls: readonly string[] }) =>
            run.calls.map((call) =>
                call
                    .split(sandbox.root)
                    .join("")
                    .replace(/\.new\.\w+/, ".new"),
            );

        it("leaves the live config untouched and fails when haproxy -c rejects the new one", () => {
            withSandbox(
                ["haproxy", "systemctl"],
                [{ match: "^haproxy -c ", exit: 1, stdout: "[ALERT] config : parsing [x:1] : unknown keyword 'bogus'\n" }],
                (sandbox) => {
                    prepared(sandbox);
                    const run = sandbox.run(apiScript, { stdin: "bogus\n" });
                    assert.equal(run.status, 1);
                    assert.match(run.stderr, /\[ALERT\] config : parsing \[x:1\] : unknown keyword 'bogus'/);
                    assert.match(run.stderr, /haproxy -c rejected the new config/);
                    assert.equal(sandbox.read(api), "# good old config\n");
                    assert.equal(callIndex(run.calls, /^systemctl/), -1);
                    assert.deepEqual(fs.readdirSync(sandbox.path("/etc/haproxy")).sort(), ["haproxy.cfg", "ingress.cfg"], "no temp file left");
                },
            );
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
                    assert.deepEqual(calls(sandbox, run), [
                        expectedCheck,
                        "systemctl enable --quiet haproxy",
                        "systemctl reload-or-restart haproxy",
                        "systemctl is-active --quiet haproxy",
                    ]);
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
                const files = renderHaproxyConfig({
                    controlPlanes: [{ name: "cp-0", address: "127.0.0.1" }],
                    workers: [{ name: "worker-0", address: "127.0.0.2" }],
                    systemService: false,
                    bindAddress: "127.0.0.1",
                });
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
});
