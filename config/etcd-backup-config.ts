import { z } from "zod";
import { text, wholeNumberIn } from "./fields";

/** The validated etcd backup section of the stack config. */
export interface EtcdBackupConfig {
    /** Days the bucket keeps a snapshot (and a noncurrent version of one) before its lifecycle rule deletes it. */
    readonly retentionDays: number;
    /** A systemd OnCalendar value: when every control plane snapshots etcd. */
    readonly schedule: string;
}

/** systemd's shorthand calendar events this program accepts; `minutely` is left out on purpose. */
export const SCHEDULE_SHORTHANDS = ["hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly"] as const;

// The value lands in a unit file and on the installer's command line: no quotes, `$`, `;` or newlines.
const SAFE_CHARACTERS = /^[A-Za-z0-9*:,./~ -]{1,64}$/;
const WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const FIELD = "[0-9*,./]+";
/** `[Mon..Fri ][*-*-* ]HH:MM[:SS][ UTC]`, the calendar form of systemd.time(7) without time zones other than UTC. */
const CALENDAR_FORM = new RegExp(
    `^(?:${WEEKDAY}(?:(?:,|\\.\\.)${WEEKDAY})* )?(?:${FIELD}-${FIELD}[-~]${FIELD} )?(${FIELD}):(${FIELD})(?::(${FIELD}))?(?: UTC)?$`,
);

const ALLOWED = `a systemd OnCalendar value: one of ${SCHEDULE_SHORTHANDS.join(", ")}, or "[Mon..Fri ][*-*-* ]HH:MM[:SS][ UTC]" such as "*-*-* *:00:00" (letters, digits, space and * : , . / ~ - only)`;

/**
 * Why `schedule` is not an acceptable backup schedule, or undefined when it is. Checks the shape,
 * not every calendar systemd understands: the installer also runs `systemd-analyze calendar` on
 * the node before it enables the timer.
 */
export function scheduleProblem(schedule: string): string | undefined {
    if (!SAFE_CHARACTERS.test(schedule)) return `must be ${ALLOWED}`;
    if ((SCHEDULE_SHORTHANDS as readonly string[]).includes(schedule)) return undefined;
    const match = CALENDAR_FORM.exec(schedule);
    if (!match) return `must be ${ALLOWED}`;
    const [, , minutes, seconds] = match;
    // A snapshot streams the whole database and uploads it: one a minute (or a second) never rests.
    if (minutes.includes("*") || (seconds !== undefined && /[*/,.]/.test(seconds))) {
        return 'must not fire every minute or second: give the minutes (and seconds) as fixed numbers, e.g. "*-*-* *:00:00" for hourly';
    }
    return undefined;
}

const onCalendar = text.trim().transform((value, ctx): string => {
    const problem = scheduleProblem(value);
    if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
    }
    return value;
});

/** Decoders of the etcd backup keys, by short name (Pulumi.yaml declares the same keys). */
export const etcdBackupKeys = {
    etcdBackupRetentionDays: wholeNumberIn(1, 3650),
    etcdBackupSchedule: onCalendar,
};

type Decoded = z.output<z.ZodObject<typeof etcdBackupKeys>>;

export function toEtcdBackupConfig(c: Decoded): EtcdBackupConfig {
    return { retentionDays: c.etcdBackupRetentionDays, schedule: c.etcdBackupSchedule };
}
