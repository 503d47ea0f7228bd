import * as fs from "fs";
import { loadStackConfigMap } from "../config/stack-files";
import { writeJsonAtomic } from "./json-file";
import { ConfigValues, deployedScale, scaleChanges, StackPort, targetedScale, UpdatePlan } from "./stack-port";

/** One simulated update, as recorded in the state file. */
export interface SimulatedUpdate {
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly config: ConfigValues;
}

interface DryRunState {
    config: ConfigValues;
    deployed: ConfigValues;
    updates: SimulatedUpdate[];
}

/**
 * A stack in a local JSON file: the desired config, the deployed config and every simulated
 * update. `up` waits `upSeconds` and then marks the desired config deployed, as a real update
 * would on success. Writes are atomic (temp file + rename), so a crash never leaves half a file.
 */
export class DryRunStack implements StackPort {
    constructor(
        private readonly file: string,
        private readonly upSeconds: number,
        /** Where Pulumi.yaml and Pulumi.dev.yaml are: a missing state file starts from the dev stack. */
        private readonly projectRoot: string,
    ) {}

    private read(): DryRunState {
        if (!fs.existsSync(this.file)) {
            const config = loadStackConfigMap(this.projectRoot, "dev").values;
            this.save({ config, deployed: config, updates: [] });
        }
        return JSON.parse(fs.readFileSync(this.file, "utf8")) as DryRunState;
    }

    private save(state: DryRunState): void {
        writeJsonAtomic(this.file, state);
    }

    async readConfig(): Promise<ConfigValues> {
        return this.read().config;
    }

    async writeConfig(changes: ConfigValues): Promise<void> {
        const state = this.read();
        this.save({ ...state, config: { ...state.config, ...changes } });
    }

    async readDeployed(): Promise<ConfigValues> {
        return this.read().deployed;
    }

    /** As Pulumi's --target does: only the plan's slots follow the config; the rest stay as deployed. */
    async up(plan?: UpdatePlan): Promise<void> {
        const startedAt = new Date().toISOString();
        const config = this.read().config;
        await new Promise((resolve) => setTimeout(resolve, this.upSeconds * 1000));
        const state = this.read();
        const deployed = plan ? { ...config, ...scaleChanges(targetedScale(deployedScale(state.deployed), deployedScale(config), plan)) } : config;
        this.save({ ...state, deployed, updates: [...state.updates, { startedAt, finishedAt: new Date().toISOString(), config: deployed }] });
    }

    /** The simulated updates so far (for tests and the benchmark). */
    updates(): readonly SimulatedUpdate[] {
        return this.read().updates;
    }
}
