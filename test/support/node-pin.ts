import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";

/** The Node.js version the project pins in .node-version (what .ci/run installs where a machine's node is another major). */
export function pinnedNode(): { readonly version: string; readonly major: number; readonly minor: number } {
    const version = fs.readFileSync(path.join(PROJECT_ROOT, ".node-version"), "utf8").trim();
    const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
    if (match === null) throw new Error(`.node-version: '${version}' is not an exact version`);
    return { version, major: Number(match[1]), minor: Number(match[2]) };
}

/** Whether a node image tag's version (24, 24.22, 24.22.3) names the pinned version: its leading components. */
export function tagNamesPin(tagVersion: string, pinned = pinnedNode().version): boolean {
    const tag = tagVersion.split(".");
    return tag.length >= 1 && tag.length <= 3 && tag.every((part, i) => part === pinned.split(".")[i]);
}
