import { strict as assert } from "assert";
import { decideOnLock, lockErrorText, parseStackLocks } from "../../scaler/stack-lock";
import { lockError, lockStderr, OWN_HOST } from "../support/stack-locks";

const CLOUD_CONFLICT = "error: [409] Conflict: Another update is currently in progress.\n";

describe("stack locks: who holds one, and whether the scaler may clear it", () => {
    describe("reading the DIY backend's lock error (pulumi/pulumi pkg/backend/diy/lock.go, v3.248.0)", () => {
        it("reads each lock's file, user, host, pid and time", () => {
            const text = lockStderr([{ user: "scaler", host: OWN_HOST, pid: 57, at: "2026-11-26T10:15:03Z" }]);
            assert.deepEqual(parseStackLocks(text), [
                {
                    url: "gs://boutique-dev-000000-pulumi-state/.pulumi/locks/organization/boutique-platform/dev/00000000-0000-4000-8000-000000000000.json",
                    user: "scaler",
                    host: OWN_HOST,
                    pid: 57,
                    createdAt: "2026-11-26T10:15:03Z",
                },
            ]);
        });

        it("several locks; a user name with an @ (the host never has one); a time with an offset", () => {
            const text = lockStderr([
                { user: "runner", host: "runner-x7-project-42-concurrent-0", pid: 311, at: "2026-11-26T10:15:04Z" },
                { user: "jane@example.com", host: "janes-laptop", pid: 9001, at: "2026-11-26T11:15:04+01:00" },
            ]);
            assert.deepEqual(
                parseStackLocks(text)?.map((lock) => [lock.user, lock.host, lock.pid, lock.createdAt]),
                [
                    ["runner", "runner-x7-project-42-concurrent-0", 311, "2026-11-26T10:15:04Z"],
                    ["jane@example.com", "janes-laptop", 9001, "2026-11-26T11:15:04+01:00"],
                ],
            );
        });

        it("through the Automation API's ConcurrentUpdateError (its stderr, or its message repeating it), colours stripped", () => {
            const stderr = lockStderr([{ user: "scaler", host: OWN_HOST, pid: 57, at: "2026-11-26T10:15:03Z" }]);
            const error = lockError(stderr);
            assert.equal(error.name, "ConcurrentUpdateError", "the Automation API's own classifier recognises the text");
            assert.equal(lockErrorText(error), stderr);
            assert.equal(parseStackLocks(error.message)?.length, 1, "the message holds stderr twice: one lock, not two");
            const coloured = stderr.replace("error:", "\u001b[31merror:\u001b[0m").replace(" created by", "\u001b[1m created by\u001b[0m");
            assert.equal(parseStackLocks(coloured)?.[0].host, OWN_HOST);
        });

        it("knows nobody when the text is not a DIY lock error or names fewer locks than it counts", () => {
            assert.equal(parseStackLocks(CLOUD_CONFLICT), undefined, "Pulumi Cloud's conflict names no owner");
            const two = lockStderr([{ user: "scaler", host: OWN_HOST, pid: 57, at: "2026-11-26T10:15:03Z" }]).replace(
                "locked by 1 lock(s)",
                "locked by 2 lock(s)",
            );
            assert.equal(parseStackLocks(two), undefined, "an owner line it could not read");
            assert.equal(lockErrorText("plain"), "plain");
        });
    });

    describe("the decision", () => {
        const ours = lockStderr([{ user: "scaler", host: OWN_HOST, pid: 57, at: "2026-11-26T10:15:03Z" }]);
        const ci = lockStderr([{ user: "runner", host: "runner-x7-project-42-concurrent-0", pid: 311, at: "2026-11-26T10:15:04Z" }]);
        const both = lockStderr([
            { user: "scaler", host: OWN_HOST, pid: 57, at: "2026-11-26T10:15:03Z" },
            { user: "runner", host: "runner-x7-project-42-concurrent-0", pid: 311, at: "2026-11-26T10:15:04Z" },
        ]);
        const context = { ownHost: OWN_HOST, unfinishedUpdate: true };

        it("clears only every lock naming our host, left while an update of ours was unfinished", () => {
            const decision = decideOnLock(ours, context);
            assert.ok(decision.clear);
            assert.deepEqual(
                decision.locks.map((lock) => lock.pid),
                [57],
            );
        });

        it("never someone else's, alone or beside ours (cancel would delete every file)", () => {
            assert.deepEqual(decideOnLock(ci, context), { clear: false, reason: "held by runner@runner-x7-project-42-concurrent-0 (pid 311)" });
            assert.deepEqual(decideOnLock(both, context), { clear: false, reason: "held by runner@runner-x7-project-42-concurrent-0 (pid 311)" });
        });

        it("not without the evidence or without named owners", () => {
            assert.deepEqual(decideOnLock(ours, { ...context, unfinishedUpdate: false }), {
                clear: false,
                reason: "the lock names our host scaler, but no update of ours was left unfinished",
            });
            assert.deepEqual(decideOnLock(CLOUD_CONFLICT, context), { clear: false, reason: "the lock error names no DIY lock owners" });
            assert.equal(decideOnLock(ours, { ...context, ownHost: "scaler-2" }).clear, false, "a host that merely starts like ours");
        });
    });
});
