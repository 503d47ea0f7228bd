import { strict as assert } from "assert";
import { PROJECT_ROOT } from "./fixtures";
import { ALLOWED_IMPORTS, folderTable, ImportGraph, importCycles, importGraph, layerOf, layerViolations } from "./support/import-graph";

const graphOf = (edges: Record<string, string[]>): ImportGraph => ({ imports: new Map(Object.entries(edges)) });

describe("layers: which way imports run (test/support/import-graph.ts, resolved by TypeScript)", function () {
    const graph = importGraph(PROJECT_ROOT);

    it("every import stays within what its layer may use: delivery and autoscaling use platform and cluster, never the reverse", () => {
        assert.ok(graph.imports.size > 300, `${graph.imports.size} files read`);
        assert.deepEqual(layerViolations(graph), []);
    });

    it("the scaler imports config/ and its own files only, nothing under components/, render/ or test/", () => {
        const outside = [...graph.imports]
            .filter(([file]) => file.startsWith("scaler/"))
            .flatMap(([file, targets]) =>
                targets.filter((target) => !target.startsWith("scaler/") && !target.startsWith("config/")).map((target) => `${file} -> ${target}`),
            );
        assert.deepEqual(outside, []);
        assert.ok(
            [...graph.imports].some(([file, targets]) => file.startsWith("scaler/") && targets.includes("config/node-pools.ts")),
            "the scaler reads the pool model from config/",
        );
    });

    it("has no import cycles, type-only imports included", () => {
        assert.deepEqual(importCycles(graph), []);
    });

    it("components/ has one folder per layer and nothing at its top", () => {
        const folders = folderTable(graph).filter((row) => row.folder.startsWith("components"));
        assert.deepEqual(
            folders.map((row) => row.folder),
            [
                "components/autoscaling",
                "components/ci",
                "components/cluster",
                "components/cluster/rendered",
                "components/delivery",
                "components/platform",
                "components/shared",
            ],
        );
    });

    it("refuses an import against the grain, a scaler import of a component, and a cycle (the checks can fail)", () => {
        const wrong = graphOf({
            "components/cluster/worker-pool.ts": ["components/platform/loki-values.ts"],
            "components/platform/logging.ts": ["components/delivery/online-boutique.ts"],
            "components/delivery/online-boutique.ts": ["components/autoscaling/autoscaling.ts"],
            "components/cluster/rendered/node-scripts.ts": ["components/cluster/ssh.ts"],
            "scaler/node-group.ts": ["components/shared/kubernetes-object.ts"],
            "config/stack-config.ts": ["scaler/node-group.ts"],
            "components/platform/loki-values.ts": ["config/node-pools.ts"],
        });
        assert.deepEqual(layerViolations(wrong), [
            "components/cluster/worker-pool.ts imports components/platform/loki-values.ts",
            "components/platform/logging.ts imports components/delivery/online-boutique.ts",
            "components/delivery/online-boutique.ts imports components/autoscaling/autoscaling.ts",
            "components/cluster/rendered/node-scripts.ts imports components/cluster/ssh.ts",
            "scaler/node-group.ts imports components/shared/kubernetes-object.ts",
            "config/stack-config.ts imports scaler/node-group.ts",
        ]);
        assert.deepEqual(
            importCycles(
                graphOf({ "render/a.ts": ["render/b.ts"], "render/b.ts": ["render/c.ts"], "render/c.ts": ["render/a.ts"], "render/d.ts": ["render/a.ts"] }),
            ),
            [["render/a.ts", "render/b.ts", "render/c.ts"]],
        );
        assert.deepEqual(importCycles(graphOf({ "render/a.ts": ["render/a.ts"] })), [["render/a.ts"]]);
    });

    it("places a file by its most specific folder, and refuses a file outside every layer", () => {
        assert.equal(layerOf("components/cluster/rendered/kubeadm-config.ts"), "components/cluster/rendered");
        assert.equal(layerOf("components/cluster/worker-pool.ts"), "components/cluster");
        assert.equal(layerOf("index.ts"), "index.ts");
        assert.throws(() => layerOf("tools/x.ts"), /tools\/x.ts belongs to no layer/);
        assert.ok(Object.values(ALLOWED_IMPORTS).every((allowed) => !allowed.includes("test") || allowed === ALLOWED_IMPORTS.test));
    });
});
