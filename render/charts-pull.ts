import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { runCli, UsageError } from "../config/cli";
import { ChartSource, CHARTS } from "../components/shared/helm-charts";
import { CHART_CACHE_DIR, chartArchiveName, chartDirs, findChartArchive, findHelm } from "./helm";

const USAGE = `Fills the chart cache (${CHART_CACHE_DIR}/) with every chart the program pins, at its pinned
version, from its own repository (needs a network and helm: bash .ci/install-helm). The test
suite renders the releases from ../shared/charts where it exists, else from this cache.

usage: npm run charts:pull [-- --force]

  --force   pull again even where the archive is already there`;

/** The `helm pull` arguments for one pinned chart (an OCI chart is pulled by reference). */
export function pullArguments(source: ChartSource, destination: string): string[] {
    const reference = source.repo.startsWith("oci://") ? [`${source.repo}/${source.chart}`] : [source.chart, "--repo", source.repo];
    return ["pull", ...reference, "--version", source.version, "--destination", destination];
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: { force: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
        strict: true,
    });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const projectRoot = path.resolve(__dirname, "..");
    const helm = findHelm(projectRoot);
    if (!helm) throw new UsageError("helm is not installed: run bash .ci/install-helm (or set HELM)");
    const cache = path.join(projectRoot, CHART_CACHE_DIR);
    fs.mkdirSync(cache, { recursive: true });
    let failures = 0;
    for (const source of Object.values(CHARTS)) {
        const present = values.force ? undefined : findChartArchive(source, chartDirs(projectRoot));
        if (present) {
            console.log(`${chartArchiveName(source)}: already in ${path.dirname(present)}`);
            continue;
        }
        const pulled = spawnSync(helm, pullArguments(source, cache), { encoding: "utf8" });
        const ok = pulled.status === 0 && fs.existsSync(path.join(cache, chartArchiveName(source)));
        console.log(`${chartArchiveName(source)}: ${ok ? "pulled" : `FAILED ${pulled.stderr.trim() || pulled.error?.message || ""}`}`);
        if (!ok) failures++;
    }
    return failures === 0 ? 0 : 1;
}

if (require.main === module) runCli(main, USAGE);
