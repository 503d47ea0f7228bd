import * as automationCmd from "@pulumi/pulumi/automation/cmd";
import * as automationErrors from "@pulumi/pulumi/automation/errors";
import { SCALER_HOSTNAME } from "../../components/autoscaling/scaler-objects";

/** The host name the scaler's pod uses (components/autoscaling/scaler-objects.ts sets it). */
export const OWN_HOST = SCALER_HOSTNAME;

export interface LockOwner {
    readonly user: string;
    readonly host: string;
    readonly pid: number;
    /** RFC 3339, as Go's time.RFC3339 prints it. */
    readonly at: string;
}

const LOCK_DIR = "gs://boutique-dev-000000-pulumi-state/.pulumi/locks/organization/boutique-platform/dev";

/**
 * What `pulumi up` prints on stderr when a DIY backend's stack is locked, built from the
 * format strings of pulumi/pulumi v3.248.0 (commit a88168d8) pkg/backend/diy/lock.go:86-106
 * (`checkForLock`), behind the `error: ` the CLI's diagnostics put first
 * (sdk/go/common/util/cmdutil/exit.go `DisplayErrorMessage`). The lock URL is
 * lockURLForError's: the backend URL joined with `.pulumi/locks/<org>/<project>/<stack>/<uuid>.json`.
 */
export function lockStderr(owners: readonly LockOwner[]): string {
    const header = `the stack is currently locked by ${owners.length} lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.`;
    const lines = owners.map(
        (owner, index) =>
            `\n  ${LOCK_DIR}/${String(index).padStart(8, "0")}-0000-4000-8000-000000000000.json: created by ${owner.user}@${owner.host} (pid ${owner.pid}) at ${owner.at}`,
    );
    return `error: ${header}${lines.join("")}\n`;
}

// The Automation API's own classifier and result type (exported at run time, internal in its types).
const { createCommandError } = automationErrors as unknown as { createCommandError: (result: object) => Error };
const { CommandResult } = automationCmd as unknown as {
    CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => object;
};

/** The error Stack.up() throws for that stderr: the Automation API classifies it itself (a ConcurrentUpdateError). */
export function lockError(stderr: string): Error {
    // execa's own error repeats stderr, so the message holds it twice, as in a real run.
    return createCommandError(
        new CommandResult("Updating (dev):\n", stderr, 255, new Error(`Command failed with exit code 255: pulumi up --yes --skip-preview\n${stderr}`)),
    );
}
