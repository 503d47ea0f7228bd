import { strict as assert } from "assert";
import { ArgvRecorder, showRecord } from "./support/argv-recorder";
import { renderedScripts } from "./support/scripts-fixtures";
import { withSandbox } from "./support/scripts-sandbox";
import { needles, findLeaks } from "./support/secret-kit";
import { Scenario, ScenarioResult, SecretLab } from "./support/secret-lab";
import { CLUSTER_SCENARIOS } from "./support/secret-scenarios-cluster";
import { CREDENTIAL_PROVIDER, NODE_SCENARIOS } from "./support/secret-scenarios-node";
import { requireTool } from "./support/tools";

/**
 * Issue 14, item 4: no secret on a command line, where any local user reads it (`ps`,
 * /proc/<pid>/cmdline). Every rendered node script runs with the node's secrets in place (files,
 * stdin bundles, the token kubeadm mints, the tokens Google issues) while a PATH of shims records
 * the command line of every process it starts, real tools and fakes alike; none may hold a
 * secret, in the clear or base64'd. Each run must also record enough commands and deliver each
 * secret where it belongs, so a run that went nowhere cannot pass.
 */

const SPECS = { ...CLUSTER_SCENARIOS, ...NODE_SCENARIOS };
const scenarios: Scenario[] = [
    ...renderedScripts().flatMap(({ label, script }) => (SPECS[label] ? [{ label, script, ...SPECS[label] }] : [])),
    CREDENTIAL_PROVIDER,
];

function figures(scenario: Scenario, result: ScenarioResult): string {
    const tools = new Set(result.records.map((record) => record.tool)).size;
    const forms = result.secrets.reduce((sum, secret) => sum + needles(secret.value).length, 0);
    return `${scenario.label}: ${result.records.length} commands (${tools} tools), ${result.secrets.length} secrets (${forms} forms) checked, ${scenario.flows.length} flows verified`;
}

describe("no secret on a command line: every process the node scripts start, read from /proc/<pid>/cmdline", function () {
    this.timeout(300_000);
    let lab: SecretLab;
    const report: string[] = [];

    before(async function () {
        for (const tool of ["openssl", "curl"]) requireTool(this, tool, `apt-get install ${tool}`);
        lab = new SecretLab();
        await lab.start();
    });

    after(async () => {
        await lab?.stop();
        if (report.length > 0) console.log(`\n      per script:\n${report.map((line) => `        ${line}`).join("\n")}`);
    });

    it("has a scenario for every rendered node script", () => {
        const missing = renderedScripts()
            .map(({ label }) => label)
            .filter((label) => !SPECS[label]);
        assert.deepEqual(missing, [], "give each new script a scenario in test/support/secret-scenarios-*.ts");
    });

    it("the recorder sees what ps sees: a secret in an argument (also base64'd) is found, one on stdin or a here-string is not", () => {
        const recorder = new ArgvRecorder();
        const secret = { name: "canary", value: "canary-0123456789-secret" };
        const probe = [
            `secret='${secret.value}'`,
            'printf "%s" "$secret" | base64 >/dev/null',
            'base64 <<<"$secret" >/dev/null',
            'echo "$secret" >/dev/null',
            'sed "s/x/$secret/" </dev/null',
            'grep -c "$(printf "%s" "$secret" | base64)" </dev/null || true',
        ].join("\n");
        try {
            withSandbox([], [], (sandbox) => {
                const run = sandbox.run(probe, { env: recorder.env({ fakeDirs: [sandbox.bin] }) });
                assert.equal(run.status, 0, run.stderr);
            });
            const records = recorder.records();
            assert.deepEqual(
                records.map((record) => record.tool),
                ["bash", "base64", "base64", "sed", "base64", "grep"],
                records.map(showRecord).join("\n"),
            );
            assert.deepEqual(
                findLeaks(records, [secret]).map(({ record }) => record.tool),
                ["sed", "grep"],
            );
        } finally {
            recorder.cleanup();
        }
    });

    for (const scenario of scenarios) {
        it(`${scenario.label}: no secret on any command line, ${scenario.minCommands}+ commands recorded, every secret delivered`, async () => {
            const result = await lab.run(scenario);
            const shown = result.records.map(showRecord);
            assert.equal(result.run.status, scenario.status, `exit ${result.run.status}\n${result.run.stderr}\n${shown.join("\n")}`);
            assert.ok(result.records.length >= scenario.minCommands, `only ${result.records.length} commands recorded:\n${shown.join("\n")}`);
            for (const pattern of scenario.recorded)
                assert.ok(
                    shown.some((line) => pattern.test(line)),
                    `no command matches ${pattern}:\n${shown.join("\n")}`,
                );
            assert.deepEqual(result.missedFlows, [], `secrets that did not reach their place\n${result.run.stderr}`);
            const leaks = result.leaks.map(({ secret, record }) => `${secret} in: ${showRecord(record).slice(0, 300)}`);
            assert.deepEqual(leaks, [], "secrets on a command line");
            report.push(figures(scenario, result));
        });
    }
});
