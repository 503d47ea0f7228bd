/**
 * What systemd would do with a rendered unit, for tests that cannot run systemd: read the unit's
 * settings and compute its restart delays the way systemd 254+ does (src/core/service.c,
 * service_restart_usec_next): the first restart waits RestartSec; restart n (2..RestartSteps)
 * waits RestartSec * (RestartMaxDelaySec / RestartSec)^((n - 1) / RestartSteps); later ones
 * wait RestartMaxDelaySec.
 */

/** `Key=value` settings by section, for the simple units we render (no line continuations). */
export function unitSettings(unit: string): Map<string, Map<string, string>> {
    const sections = new Map<string, Map<string, string>>();
    let current: Map<string, string> | undefined;
    for (const raw of unit.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
        const header = /^\[(.+)\]$/.exec(line);
        if (header) {
            current = new Map();
            sections.set(header[1], current);
            continue;
        }
        const eq = line.indexOf("=");
        if (!current || eq < 0) throw new Error(`not a unit setting: ${raw}`);
        current.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return sections;
}

/** A systemd time span we render ("15s", "120s", "30min", or bare seconds) in seconds. */
export function seconds(span: string): number {
    const match = /^(\d+)(s|min)?$/.exec(span);
    if (!match) throw new Error(`unsupported time span ${span}`);
    return Number(match[1]) * (match[2] === "min" ? 60 : 1);
}

export interface RestartPolicy {
    readonly restartSec: number;
    readonly restartSteps: number;
    readonly restartMaxDelaySec: number;
}

export function restartPolicyOf(unit: string): RestartPolicy {
    const service = unitSettings(unit).get("Service");
    const value = (key: string) => {
        const found = service?.get(key);
        if (found === undefined) throw new Error(`the unit has no ${key}`);
        return found;
    };
    return { restartSec: seconds(value("RestartSec")), restartSteps: Number(value("RestartSteps")), restartMaxDelaySec: seconds(value("RestartMaxDelaySec")) };
}

/** The delay before the `n`th automatic restart (1-based), in seconds. */
export function restartDelay(policy: RestartPolicy, n: number): number {
    const { restartSec, restartSteps, restartMaxDelaySec } = policy;
    if (n <= 1 || restartSteps === 0 || restartSec === 0 || restartSec >= restartMaxDelaySec) return restartSec;
    if (n > restartSteps) return restartMaxDelaySec;
    return restartSec * (restartMaxDelaySec / restartSec) ** ((n - 1) / restartSteps);
}
