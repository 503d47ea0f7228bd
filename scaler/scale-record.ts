import * as fs from "fs";
import { writeJsonAtomic } from "./json-file";
import { ConfigValues, existingSlotsOf, StackPort, UpdatePlan } from "./stack-port";

/**
 * A stack whose scale changes are also kept in a file on a durable volume. In a container the
 * stack's config file is part of the image, so a change written only there is gone after a
 * restart; the record is written first (atomically, flushed) and replayed into the stack's
 * config when the scaler starts, so a recorded change is never lost.
 */
export class RecordedScaleStack implements StackPort {
    private constructor(
        private readonly inner: StackPort,
        private readonly file: string,
    ) {}

    /** The inner stack's: a decorator must not hide what the service asks for. */
    existingWorkerSlots(): Promise<readonly number[]> {
        return existingSlotsOf(this.inner);
    }

    /** Opens the record (if any) and replays it into the stack's config. */
    static async open(inner: StackPort, file: string): Promise<RecordedScaleStack> {
        const stack = new RecordedScaleStack(inner, file);
        const recorded = stack.recorded();
        if (Object.keys(recorded).length > 0) await inner.writeConfig(recorded);
        return stack;
    }

    private recorded(): ConfigValues {
        if (!fs.existsSync(this.file)) return {};
        const data: unknown = JSON.parse(fs.readFileSync(this.file, "utf8"));
        if (typeof data !== "object" || data === null || Array.isArray(data) || !Object.values(data).every((value) => typeof value === "string")) {
            throw new Error(`${this.file} is not a scale record (an object of config key -> text)`);
        }
        return data as ConfigValues;
    }

    async readConfig(): Promise<ConfigValues> {
        return { ...(await this.inner.readConfig()), ...this.recorded() };
    }

    async writeConfig(changes: ConfigValues): Promise<void> {
        writeJsonAtomic(this.file, { ...this.recorded(), ...changes });
        await this.inner.writeConfig(changes);
    }

    readDeployed(): Promise<ConfigValues> {
        return this.inner.readDeployed();
    }

    up(plan?: UpdatePlan): Promise<void> {
        return this.inner.up(plan);
    }
}
