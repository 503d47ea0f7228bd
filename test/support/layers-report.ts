import { PROJECT_ROOT } from "../fixtures";
import { folderTable, importCycles, importGraph, layerViolations } from "./import-graph";

/** Prints the layout: per folder, its files and the folders it imports from (`npm run layers`). */
const graph = importGraph(PROJECT_ROOT);
const rows = folderTable(graph);
const width = Math.max(...rows.map((row) => row.folder.length));
for (const row of rows) console.log(`${row.folder.padEnd(width)}  ${String(row.files).padStart(3)} files  imports: ${row.imports.join(", ") || "-"}`);
console.log(`\n${graph.imports.size} files; layer violations: ${layerViolations(graph).length}; import cycles: ${importCycles(graph).length}`);
