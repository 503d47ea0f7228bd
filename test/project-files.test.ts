import { strict as assert } from "assert";
import { RUN_AS } from "../components/autoscaling/scaler-objects";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_PAGE, renderConfigTable, TABLE_END, TABLE_START } from "../config/config-table";
import { CONFIG_KEYS, PROJECT, UNDECLARED_KEYS } from "../config/stack-config";
import { readProjectFile } from "../config/stack-files";
import { devConfig, PROJECT_ROOT } from "./fixtures";
import { pinnedNode, tagNamesPin } from "./support/node-pin";

describe("project files", () => {
    const project = readProjectFile(PROJECT_ROOT);

    it("Pulumi.yaml declares exactly the project keys the program reads, each with type and description", () => {
        const declared = Object.keys(project.config)
            .map((key) => `${PROJECT}:${key}`)
            .sort();
        const undeclared = Object.keys(UNDECLARED_KEYS).map((key) => `${PROJECT}:${key}`);
        assert.deepEqual(declared, CONFIG_KEYS.filter((key) => key.startsWith(`${PROJECT}:`) && !undeclared.includes(key)).sort());
        assert.ok(
            undeclared.every((key) => CONFIG_KEYS.includes(key)),
            "every undeclared key is one the program reads",
        );
        for (const [key, declaration] of Object.entries(project.config)) {
            assert.ok(["string", "integer", "boolean", "array"].includes(declaration.type), `${key}: type ${declaration.type}`);
            assert.ok(declaration.description.length > 20, `${key} needs a description`);
        }
        assert.equal(project.name, PROJECT);
    });

    it("every declared default is itself valid config (the dev stack parses with them)", () => {
        assert.doesNotThrow(() => devConfig());
    });

    it(`${CONFIG_PAGE}'s config reference is the one generated from Pulumi.yaml (npm run docs:config)`, () => {
        const page = fs.readFileSync(path.join(PROJECT_ROOT, CONFIG_PAGE), "utf8");
        assert.ok(page.includes(TABLE_START) && page.includes(TABLE_END), `${CONFIG_PAGE} has the config-table markers`);
        const section = page.slice(page.indexOf(TABLE_START), page.indexOf(TABLE_END) + TABLE_END.length);
        assert.equal(section, renderConfigTable(project));
        assert.ok(section.split("\n").length >= Object.keys(project.config).length + 4);
        // One generated table only: README links the page instead of holding a copy.
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        assert.ok(!readme.includes(TABLE_START), "README.md still holds a config table");
        assert.ok(readme.includes(`(${CONFIG_PAGE})`), `README.md links ${CONFIG_PAGE}`);
    });

    it("README gives the two commands and .ci/run runs README's test command", () => {
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        assert.match(readme, /npm ci && npm run render/);
        assert.match(readme, /npm test/);
        assert.match(fs.readFileSync(path.join(PROJECT_ROOT, ".ci/run"), "utf8"), /^npm test$/m);
        // Every `npm run <script>` README shows exists in package.json, the two commands' among them.
        const scripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
        const shown = new Set([...readme.matchAll(/npm run ([a-z:]+)/g)].map((match) => match[1]));
        assert.ok(shown.has("render"));
        assert.deepEqual(
            [...shown].filter((script) => !(script in scripts)),
            [],
            "README names scripts package.json lacks",
        );
        assert.match(scripts.test, /mocha/);
    });

    it("the scaler's Dockerfile pins the Pulumi CLI to the SDK's version and runs the scaler as the Deployment's user", () => {
        const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, "Dockerfile"), "utf8");
        const sdk = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies[
            "@pulumi/pulumi"
        ];
        assert.equal(/^ARG PULUMI_VERSION=(\S+)$/m.exec(dockerfile)?.[1], sdk, "the CLI and @pulumi/pulumi move together");
        assert.match(dockerfile, new RegExp(`useradd --uid ${RUN_AS} `));
        assert.match(dockerfile, new RegExp(`^USER ${RUN_AS}$`, "m"));
        const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, entrypoint[entrypoint.length - 1])), `${entrypoint.join(" ")} runs a file of the repo`);
        const ignored = fs
            .readFileSync(path.join(PROJECT_ROOT, ".dockerignore"), "utf8")
            .split("\n")
            .filter((line) => line.trim() !== "");
        assert.ok(ignored.includes("node_modules"));
        // What the image's `pulumi up` needs: the program, its stack files and policy pack, and tsx/ts-node (dev dependencies).
        for (const needed of ["index.ts", "components", "config", "policy", "Pulumi.yaml", "Pulumi.dev.yaml", "scaler"])
            assert.ok(!ignored.some((pattern) => needed.startsWith(pattern.replace(/\*.*$/, ""))), `${needed} is left out of the image`);
        assert.match(dockerfile, /^RUN npm ci --no-audit --no-fund$/m, "all dependencies: the image runs TypeScript");
    });

    it("the scaler's image is built on the pinned Node.js (.node-version), on Debian bookworm", () => {
        const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, "Dockerfile"), "utf8");
        const from = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
        assert.equal(from.length, 1, "one stage");
        const tag = /^node:([\d.]+)-bookworm-slim$/.exec(from[0]);
        assert.ok(tag !== null, `${from[0]}: a node:<version>-bookworm-slim image`);
        assert.ok(tagNamesPin(tag[1]), `${from[0]} is not Node.js ${pinnedNode().version}`);
        assert.equal(Number(tag[1].split(".")[0]), pinnedNode().major);
    });
});
