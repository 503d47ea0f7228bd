import { strict as assert } from "assert";
import { parseAllDocuments } from "yaml";
import { CONFIG_KEYS, parseStackConfig } from "../../config/stack-config";
import { evaluateProgram } from "../../render/evaluate";
import { MockCloud } from "../../render/mock-cloud";
import { attemptConfig, Attempt, campaignTable, hostileAttempts, Outcome, tryAttempt } from "../support/hostile-config";
import { PROJECT_ROOT } from "../fixtures";

/**
 * The bad-input campaign (test/support/hostile-config.ts) against the real validation and the
 * real program: every refusal is one bounded message per key with no stack trace, and every
 * accepted hostile value renders (the whole program, under the mock runtime) and stays out of the
 * text that shells and HAProxy read. `npx tsx test/support/hostile-config-report.ts` prints the table.
 */

const results: { readonly attempt: Attempt; readonly outcome: Outcome }[] = hostileAttempts().map((attempt) => ({ attempt, outcome: tryAttempt(attempt) }));
const accepted = results.filter(({ outcome }) => outcome.kind === "accepted").map(({ attempt }) => attempt);

/** Artifacts a shell or HAProxy parses: a hostile value must never reach them. */
const PARSED_TEXT = /(\.sh|\.cfg|\.service|\.timer)$/;

/** Overrides taken together, as Object.assign would merge them (a later one's key wins). */
function merged(overrides: readonly Readonly<Record<string, string>>[]): Record<string, string> {
    return overrides.reduce<Record<string, string>>((all, one) => ({ ...all, ...one }), {});
}

function evaluate(config: Record<string, string>) {
    return evaluateProgram({
        projectRoot: PROJECT_ROOT,
        project: "boutique-platform",
        stack: "dev",
        cloud: new MockCloud(),
        config: { values: config, secretKeys: [] },
    });
}

describe("the bad-input campaign against the stack config", () => {
    it(`tries every key the program reads with hostile values of every class (${results.length} attempts)`, () => {
        const keys = new Set(results.map(({ attempt }) => attempt.key));
        assert.deepEqual([...keys].sort(), [...CONFIG_KEYS].sort());
        assert.ok(results.length > 4000, `${results.length} attempts`);
        const table = campaignTable(results);
        assert.match(table, /\| \*\*all keys\*\* \| \d+\/\d+ \|/);
    });

    it("never crashes: every value is accepted or refused with a StackConfigError", () => {
        const crashes = results.filter(({ outcome }) => outcome.kind === "crashed");
        assert.deepEqual(
            crashes.map(
                ({ attempt, outcome }) =>
                    `${attempt.key} ${JSON.stringify(attempt.payload).slice(0, 60)}: ${outcome.kind === "crashed" ? outcome.error.split("\n")[0] : ""}`,
            ),
            [],
        );
    });

    it("refuses with one bounded message per key, naming the key, quoting at most 64 characters, with no stack trace", () => {
        for (const { attempt, outcome } of results) {
            if (outcome.kind !== "refused") continue;
            const where = `${attempt.key} ${JSON.stringify(attempt.payload).slice(0, 60)}`;
            assert.ok(outcome.problems.length > 0, where);
            const keysNamed = outcome.problems.map((problem) => CONFIG_KEYS.find((key) => problem.startsWith(`${key} `) || problem.startsWith(`${key}:`)));
            assert.ok(
                keysNamed.every((key) => key !== undefined),
                `${where}: ${outcome.problems.join(" | ")}`,
            );
            assert.equal(new Set(keysNamed).size, keysNamed.length, `${where}: one message per key`);
            // A value valid alone may conflict with another key; the message goes to the key to change and names this one.
            const named =
                keysNamed.includes(attempt.key) || outcome.problems.some((problem) => problem.includes(attempt.key.replace(/^boutique-platform:/, "")));
            if (attempt.hostileClass !== "set") assert.ok(named, `${where}: names neither the key nor it: ${outcome.problems.join(" | ")}`);
            for (const problem of outcome.problems) {
                assert.ok(problem.length < 1200, `${where}: a message of ${problem.length} characters`);
                assert.doesNotMatch(problem, /\n\s+at /, where);
                if (attempt.payload.length > 80) assert.ok(!problem.includes(attempt.payload.slice(0, 80)), `${where}: quotes more than 64 characters`);
            }
        }
    });

    it(`renders the whole program with every accepted hostile value, which stays out of scripts and HAProxy's config`, async function () {
        this.timeout(600_000);
        assert.ok(accepted.length > 10, `${accepted.length} accepted`);
        // Greedy batches: each evaluation takes at most one accepted value per key, as many as validate together.
        let pending = [...new Map(accepted.map((attempt) => [JSON.stringify(attemptConfig(attempt)), attempt])).values()];
        let evaluations = 0;
        let channelsChecked = 0;
        while (pending.length > 0) {
            const batch: Attempt[] = [];
            for (const attempt of pending) {
                if (batch.some((taken) => taken.key === attempt.key)) continue;
                try {
                    parseStackConfig(attemptConfig({ overrides: merged([...batch.map((taken) => taken.overrides), attempt.overrides]) }));
                    batch.push(attempt);
                } catch {
                    // conflicts with the batch: the next one takes it
                }
            }
            pending = pending.filter((attempt) => !batch.includes(attempt));
            const label = batch.map((attempt) => `${attempt.key}=${JSON.stringify(attempt.payload).slice(0, 40)}`).join(", ");
            const config = attemptConfig({ overrides: merged(batch.map((attempt) => attempt.overrides)) });
            const evaluation = await evaluate(config).catch((error: unknown) => assert.fail(`${label}: the program failed: ${String(error).slice(0, 300)}`));
            evaluations++;
            assert.ok(evaluation.resources.length > 100, label);
            // YAML-looking text ("yes", "0x1F", ".inf", "null") must reach Kubernetes as the same string.
            const channel = batch.find((attempt) => attempt.key === "boutique-platform:delivery" && /"channel"/.test(attempt.overrides[attempt.key] ?? ""));
            if (channel && parseStackConfig(config).boutique.enabled) {
                const providers = Object.entries(evaluation.artifacts)
                    .filter(([file]) => file.startsWith("manifests/"))
                    .flatMap(([, text]) => parseAllDocuments(text).map((document) => document.toJS() as { kind?: string; spec?: { channel?: unknown } }))
                    .filter((object) => object?.kind === "AlertProvider");
                assert.deepEqual(
                    providers.map((provider) => provider.spec?.channel),
                    [channel.payload],
                    label,
                );
                channelsChecked++;
            }
            for (const attempt of batch) {
                // Distinctive payloads only: "[1]" or "null" occur in scripts on their own.
                if (!/[^A-Za-z0-9]/.test(attempt.payload) || attempt.payload.length < 5) continue;
                for (const [file, text] of Object.entries(evaluation.artifacts)) {
                    if (PARSED_TEXT.test(file)) assert.ok(!text.includes(attempt.payload), `${label}: reached ${file}`);
                }
            }
        }
        console.log(
            `      ${accepted.length} accepted values rendered in ${evaluations} evaluations; ${channelsChecked} alert channels read back from the manifests`,
        );
        assert.ok(channelsChecked > 5, `${channelsChecked} channels read back`);
    });
});
