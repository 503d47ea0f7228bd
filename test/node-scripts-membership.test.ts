import { strict as assert } from "assert";
import { NODE_PATHS, renderIssueJoinTokenScript, renderLeaveControlPlaneScript } from "../components/node-scripts";
import { callIndex, CERT_KEY, modeOf, StubRule, TOKEN, withSandbox } from "./support/scripts-sandbox";

describe("node scripts: cluster membership", () => {
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
});
