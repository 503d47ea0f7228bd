import * as fs from "fs";
import * as path from "path";
import { ConfigDeclaration, ProjectFile, readProjectFile } from "./stack-files";

export const TABLE_START = "<!-- config-table:start (generated from Pulumi.yaml by `npm run docs:config`) -->";
export const TABLE_END = "<!-- config-table:end -->";
/** The page that holds the table, relative to the project root. */
export const CONFIG_PAGE = "docs/configuration.md";

function typeOf(declaration: ConfigDeclaration): string {
    return declaration.type === "array" && declaration.items ? `array of ${declaration.items.type}` : declaration.type;
}

function defaultOf(declaration: ConfigDeclaration): string {
    return declaration.default === undefined ? "(required)" : `\`${JSON.stringify(declaration.default)}\``;
}

/** The config reference in docs/configuration.md: one row per key Pulumi.yaml declares. */
export function renderConfigTable(project: ProjectFile): string {
    const rows = Object.entries(project.config).map(
        ([key, declaration]) =>
            `| \`${project.name}:${key}\` | ${typeOf(declaration)} | ${defaultOf(declaration)} | ${declaration.description.replace(/\|/g, "\\|")} |`,
    );
    return [TABLE_START, "| key | type | default | meaning |", "| --- | --- | --- | --- |", ...rows, TABLE_END].join("\n");
}

/** The page's text with its table section replaced by a fresh one. */
export function withConfigTable(page: string, table: string): string {
    const start = page.indexOf(TABLE_START);
    const end = page.indexOf(TABLE_END);
    if (start < 0 || end < start) throw new Error(`${CONFIG_PAGE} has no config-table markers`);
    return page.slice(0, start) + table + page.slice(end + TABLE_END.length);
}

if (require.main === module) {
    const root = path.resolve(__dirname, "..");
    const pagePath = path.join(root, CONFIG_PAGE);
    fs.writeFileSync(pagePath, withConfigTable(fs.readFileSync(pagePath, "utf8"), renderConfigTable(readProjectFile(root))));
    console.log(`updated the config table in ${pagePath}`);
}
