import * as fs from "fs";
import * as path from "path";
import { writeJsonAtomic } from "./json-file";

/**
 * When each not-yet-created worker was asked for, in wall-clock milliseconds, kept across scaler
 * restarts: the autoscaler's provisioning clock starts at its IncreaseSize and does not restart
 * with the scaler, so neither may the scaler's deadline for that worker.
 */
export interface RequestTimes {
    load(): ReadonlyMap<number, number>;
    save(times: ReadonlyMap<number, number>): void;
}

/** In a file beside the scale record (or the dry-run state), written atomically. */
export class RequestTimesFile implements RequestTimes {
    constructor(readonly file: string) {}

    /** `<dir>/<name>.requests.json` for the scale record or state file `<dir>/<name>.json`. */
    static beside(stateFile: string): RequestTimesFile {
        return new RequestTimesFile(path.join(path.dirname(stateFile), `${path.basename(stateFile, ".json")}.requests.json`));
    }

    load(): ReadonlyMap<number, number> {
        if (!fs.existsSync(this.file)) return new Map();
        const data: unknown = JSON.parse(fs.readFileSync(this.file, "utf8"));
        const entries = typeof data === "object" && data !== null && !Array.isArray(data) ? Object.entries(data) : [];
        // A damaged file costs only the deadline's memory: the workers then count from now.
        return new Map(
            entries
                .filter(([slot, at]) => /^\d+$/.test(slot) && typeof at === "number" && Number.isFinite(at))
                .map(([slot, at]) => [Number(slot), at as number]),
        );
    }

    save(times: ReadonlyMap<number, number>): void {
        writeJsonAtomic(this.file, Object.fromEntries([...times].sort(([a], [b]) => a - b)));
    }
}

/** Kept in memory only (tests; a scaler without a durable place). */
export class RequestTimesInMemory implements RequestTimes {
    private times = new Map<number, number>();

    load(): ReadonlyMap<number, number> {
        return new Map(this.times);
    }

    save(times: ReadonlyMap<number, number>): void {
        this.times = new Map(times);
    }
}
