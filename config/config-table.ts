import * as fs from "fs";
import * as path from "path";
import { ConfigDeclaration, ProjectFile, readProjectFile } from "./stack-files";

export const TABLE_START = "<!-- config-table:start (generated from Pulumi.yaml by `npm run docs:config`) -->";
export const TABLE_END = "<!-- config-table:end -->";

function typeOf(declaration: ConfigDeclaration): string {
    return declaration.type === "array" && declaration.items ? `array of ${declaration.items.type}` : declaration.type;
}

function defaultOf(declaration: ConfigDeclaration): string {
    return declaration.default === undefined ? "(required)" : `\`${JSON.stringify(declaration.default)}\``;
}

/** The README's config reference: one row per key Pulumi.yaml declares. */
export function renderConfigTable(project: ProjectFile): string {
    const rows = Object.entries(project.config).map(
        ([key, declaration]) => `| \`${project.name}:${key}\` | ${typeOf(declaration)} | ${defaultOf(declaration)} | ${declaration.description.replace(/\|/g, "\\|")} |`,
    );
    return [TABLE_START, "| key | type | default | meaning |", "| --- | --- | --- | --- |", ...rows, TABLE_END].join("\n");
}

/** The README text with its table section replaced by a fresh one. */
export function withConfigTable(readme: string, table: string): string {
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    if (start < 0 || end < start) throw new Error("README.md has no config-table markers");
    return readme.slice(0, start) + table + readme.slice(end + TABLE_END.length);
}

if (require.main === module) {
    const root = path.resolve(__dirname, "..");
    const readmePath = path.join(root, "README.md");
    fs.writeFileSync(readmePath, withConfigTable(fs.readFileSync(readmePath, "utf8"), renderConfigTable(readProjectFile(root))));
    console.log(`updated the config table in ${readmePath}`);
}
