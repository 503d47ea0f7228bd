import { strict as assert } from "assert";
import * as fs from "fs";
import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "../../../components/cluster/rendered/kubeadm-config";
import { encodeFileBundle } from "../../../components/cluster/rendered/node-files";
import {
    CONTROL_PLANE_BRING_UP_PATHS,
    JOIN_PATHS,
    NODE_PATHS,
    renderBringUpControlPlaneScript,
    renderJoinNodeScript,
    renderJoinWorkerScript,
} from "../../../components/cluster/rendered/node-scripts";
import { callIndex, CERT_KEY, modeOf, TOKEN, withSandbox } from "../../support/scripts-sandbox";

/** The join scripts one by one against stub tools (the retry across `up`s is test/cluster/join-retry.test.ts). */

const JOIN_CONFIG = `kind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: ${BOOTSTRAP_TOKEN_PLACEHOLDER}\n`;
const stripRoot = (root: string, calls: readonly string[]) =>
    calls.map((call) =>
        call
            .split(root)
            .join("")
            .replace(/\.join\.\w+/, ".join.TMP"),
    );

describe("node scripts: joins", () => {
    describe("bring-up-control-plane (stub kubeadm, kubectl)", () => {
        const bringUp = (mayInitialize: boolean) =>
            renderBringUpControlPlaneScript({ nodeName: "boutique-cp-1", nodeAddress: "10.10.0.9", apiServerEndpoint: "10.10.0.2:6443", mayInitialize });
        const bundle = (init: boolean) =>
            encodeFileBundle([
                { path: "/etc/kubernetes/pki/ca.key", mode: "0600", content: "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n" },
                { path: CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig, mode: "0600", content: "kind: Config\n" },
                { path: JOIN_PATHS.joinConfig, mode: "0644", content: JOIN_CONFIG },
                ...(init ? [{ path: CONTROL_PLANE_BRING_UP_PATHS.initConfig, mode: "0644" as const, content: "kind: InitConfiguration\n" }] : []),
            ]);
        const noCluster = { match: "get --raw /readyz", exit: 1 };
        const initOutput = `Your Kubernetes control-plane has initialized successfully!\nkubeadm join 10.0.0.2:6443 --token ${TOKEN} --discovery-token-ca-cert-hash sha256:${CERT_KEY}\n`;

        it("with no cluster answering, initializes it once (when allowed), deletes init's token and the bring-up kubeconfig, printing no token", () => {
            withSandbox(["kubeadm", "kubectl"], [noCluster, { match: "^kubeadm init ", stdout: initOutput }], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(bringUp(true), { stdin: bundle(true) });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(stripRoot(sandbox.root, run.calls), [
                    "kubectl --kubeconfig /etc/kubernetes/boutique/bring-up.conf get --raw /readyz --request-timeout=10s",
                    "kubeadm init --config /etc/kubernetes/boutique/kubeadm-init.yaml --skip-token-print",
                    "kubectl --kubeconfig /etc/kubernetes/boutique/bring-up.conf -n kube-system delete secret --field-selector type=bootstrap.kubernetes.io/token",
                ]);
                assert.ok(!`${run.stdout}${run.stderr}`.includes(TOKEN));
                assert.ok(
                    fs.readFileSync(sandbox.path(`${NODE_PATHS.logDir}/kubeadm-bring-up.log`), "utf8").includes(TOKEN),
                    "the full output stays in the root-only log",
                );
                assert.equal(modeOf(sandbox.path(`${NODE_PATHS.logDir}/kubeadm-bring-up.log`)), "0600");
                assert.equal(modeOf(sandbox.path("/etc/kubernetes/pki/ca.key")), "0600");
                assert.ok(!sandbox.exists(CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig), "the admin credential does not outlive the bring-up");
            });
        });

        it("a failed init prints a redacted tail, resets the node for a retry and names the step", () => {
            withSandbox(
                ["kubeadm", "kubectl"],
                [noCluster, { match: "^kubeadm init ", exit: 1, stdout: `${initOutput}error execution phase wait-control-plane\n` }],
                (sandbox) => {
                    sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                    const run = sandbox.run(bringUp(true), { stdin: bundle(true) });
                    assert.equal(run.status, 1);
                    assert.match(run.stderr, /--token <redacted-token> --discovery-token-ca-cert-hash sha256:<redacted-key>/);
                    assert.match(run.stderr, /boutique-cp-1: step 'kubeadm init' failed \(node reset for a retry\)/);
                    assert.ok(!run.stderr.includes(TOKEN) && !run.stderr.includes(CERT_KEY));
                    assert.notEqual(callIndex(run.calls, /^kubeadm reset -f$/), -1);
                },
            );
        });

        it("never creates a cluster when not allowed: a replaced control plane with none to join fails with what to do", () => {
            withSandbox(["kubeadm", "kubectl"], [noCluster], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(bringUp(false), { stdin: bundle(false) });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /boutique-cp-1: step 'find the cluster' failed: no API server answered at 10\.10\.0\.2:6443/);
                assert.match(run.stderr, /restore etcd from its latest snapshot/);
                assert.equal(callIndex(run.calls, /^kubeadm /), -1);
            });
        });

        it("with a cluster answering, removes its predecessor's stale etcd member, joins with a token minted for this attempt and deletes it", () => {
            const members =
                "8e9e05c52164694d, started, boutique-cp-0, https://10.10.0.8:2380, https://10.10.0.8:2379, false\n2a1b, started, boutique-cp-1, https://10.10.0.9:2380, https://10.10.0.9:2379, false\n";
            const rules = [
                { match: "get node boutique-cp-1 --ignore-not-found -o jsonpath", stdout: "Unknown" },
                { match: "get node boutique-cp-1 --ignore-not-found -o name", stdout: "node/boutique-cp-1" },
                { match: "get pods -l component=etcd", stdout: "etcd-boutique-cp-0" },
                { match: "member list", stdout: members },
                { match: "^kubeadm token create ", stdout: `${TOKEN}\n` },
            ];
            withSandbox(["kubeadm", "kubectl"], rules, (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(bringUp(false), { stdin: bundle(false) });
                assert.equal(run.status, 0, run.stderr);
                const calls = stripRoot(sandbox.root, run.calls);
                const order = [
                    /get --raw \/readyz/,
                    /delete node boutique-cp-1/,
                    /member remove 2a1b$/,
                    /^kubeadm token create .*--ttl 15m/,
                    /^kubeadm join --config \/etc\/kubernetes\/boutique\/\.join\.TMP$/,
                    /^kubeadm token delete .* abcdef$/,
                ];
                const positions = order.map((pattern) => callIndex(calls, pattern));
                assert.ok(
                    positions.every((position) => position >= 0),
                    calls.join("\n"),
                );
                assert.deepEqual(
                    [...positions].sort((a, b) => a - b),
                    positions,
                    calls.join("\n"),
                );
                assert.equal(sandbox.read(JOIN_PATHS.joinConfig), JOIN_CONFIG, "the token is never written into the installed config");
                assert.deepEqual(
                    fs.readdirSync(sandbox.path("/etc/kubernetes/boutique")).filter((file) => file.startsWith(".join")),
                    [],
                );
            });
        });

        it("does nothing (and installs nothing) on a control plane already in the cluster", () => {
            withSandbox(["kubeadm", "kubectl"], [], (sandbox) => {
                sandbox.write("/etc/kubernetes/admin.conf", "admin");
                sandbox.write("/etc/kubernetes/kubelet.conf", "kubelet");
                const run = sandbox.run(bringUp(true), { stdin: bundle(true) });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(run.calls, []);
                assert.ok(!sandbox.exists(JOIN_PATHS.joinConfig));
            });
        });
    });

    describe("join-node, on the worker (stub kubeadm)", () => {
        const script = renderJoinNodeScript({ nodeName: "boutique-worker-3" });
        const bundle = encodeFileBundle([
            { path: JOIN_PATHS.joinConfig, mode: "0644", content: JOIN_CONFIG },
            { path: JOIN_PATHS.token, mode: "0600", content: TOKEN },
        ]);

        it("joins with the attempt's token in a temporary copy, then removes the token", () => {
            withSandbox(["kubeadm"], [], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(stripRoot(sandbox.root, run.calls), ["kubeadm join --config /etc/kubernetes/boutique/.join.TMP"]);
                assert.ok(!sandbox.exists(JOIN_PATHS.token));
                assert.equal(sandbox.read(JOIN_PATHS.joinConfig), JOIN_CONFIG);
            });
        });

        it("resets the node after a failed join and says which node and step failed, token redacted", () => {
            withSandbox(["kubeadm"], [{ match: "^kubeadm join ", exit: 1, stdout: `[discovery] using token ${TOKEN}\nerror: timed out\n` }], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 1);
                assert.deepEqual(stripRoot(sandbox.root, run.calls), ["kubeadm join --config /etc/kubernetes/boutique/.join.TMP", "kubeadm reset -f"]);
                assert.match(run.stderr, /using token <redacted-token>/);
                assert.match(run.stderr, /boutique-worker-3: step 'kubeadm join' failed \(node reset; the next up retries with a new token\)/);
                assert.ok(!run.stderr.includes(TOKEN));
                assert.ok(!sandbox.exists(JOIN_PATHS.token));
            });
        });

        it("fails before kubeadm without a token, and does nothing on a node that has joined", () => {
            withSandbox(["kubeadm"], [], (sandbox) => {
                sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
                const missing = sandbox.run(script, { stdin: encodeFileBundle([{ path: JOIN_PATHS.joinConfig, mode: "0644", content: JOIN_CONFIG }]) });
                assert.equal(missing.status, 1);
                assert.match(missing.stderr, /had no bootstrap token/);
                sandbox.write("/etc/kubernetes/kubelet.conf", "kubelet");
                const joined = sandbox.run(script, { stdin: bundle });
                assert.equal(joined.status, 0, joined.stderr);
                assert.deepEqual([...missing.calls, ...joined.calls], []);
            });
        });
    });

    describe("join-worker, on the first control plane (stub kubeadm, kubectl, ssh)", () => {
        const script = renderJoinWorkerScript({ nodeName: "boutique-worker-3", nodeAddress: "10.10.0.35", sshUser: "pulumi" });
        const work = `${JOIN_PATHS.relayDir}/boutique-worker-3`;
        const bundle = encodeFileBundle([
            { path: `${work}/ssh-key`, mode: "0600", content: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n-----END OPENSSH PRIVATE KEY-----\n" },
            { path: `${work}/node-bundle`, mode: "0600", content: encodeFileBundle([{ path: JOIN_PATHS.joinConfig, mode: "0644", content: JOIN_CONFIG }]) },
        ]);

        it("mints no token when the worker never accepts SSH, names the step, and leaves no key behind", () => {
            withSandbox(["kubeadm", "kubectl", "ssh"], [{ match: "^ssh ", exit: 255 }], (sandbox) => {
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /boutique-worker-3: step 'reach the node over SSH' failed: 10\.10\.0\.35:22 did not accept the join key/);
                assert.equal(callIndex(run.calls, /token create/), -1);
                assert.ok(!sandbox.exists(`${work}/ssh-key`));
            });
        });

        it("does nothing on a worker that is already a Ready node", () => {
            withSandbox(["kubeadm", "kubectl", "ssh"], [{ match: "get node boutique-worker-3 --ignore-not-found -o jsonpath", stdout: "True" }], (sandbox) => {
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 0, run.stderr);
                assert.equal(callIndex(run.calls, /^(ssh|kubeadm) /), -1);
            });
        });

        it("sends the node's bundle plus the attempt's token over SSH and deletes the token when the join fails on the node", () => {
            const rules = [
                { match: "^kubeadm token create ", stdout: `${TOKEN}\n` },
                { match: "^ssh .* sudo -n bash -c ", exit: 1 },
            ];
            withSandbox(["kubeadm", "kubectl", "ssh"], rules, (sandbox) => {
                const run = sandbox.run(script, { stdin: bundle });
                assert.equal(run.status, 1);
                assert.match(run.stderr, /boutique-worker-3: the join failed on the node \(its messages above\); the next up retries with a new token/);
                assert.ok(callIndex(run.calls, /^ssh .*pulumi@10\.10\.0\.35 sudo -n bash -c /) > callIndex(run.calls, /^kubeadm token create /));
                assert.notEqual(callIndex(run.calls, /^kubeadm token delete .* abcdef$/), -1);
            });
        });
    });
});
