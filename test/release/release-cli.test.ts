import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { quoteInput } from "../../config/cli";
import { chartImageName } from "../../config/boutique-images";
import { PROJECT_ROOT } from "../fixtures";
import { DIGEST, HOSTILE_IMAGES, releaseFileText } from "./release-file";

const TSX = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
const MAIN = path.join(PROJECT_ROOT, "release", "main.ts");

describe("npm run release:image (release/main.ts, a real process)", function () {
    this.timeout(120_000);
    let gitops: string;
    let file: string;
    beforeEach(() => {
        gitops = fs.mkdtempSync(path.join(os.tmpdir(), "release-cli-"));
        file = path.join(gitops, "kustomization.yaml");
        fs.writeFileSync(file, releaseFileText());
    });
    afterEach(() => fs.rmSync(gitops, { recursive: true, force: true }));

    const release = (...args: string[]) => {
        const run = spawnSync(TSX, [MAIN, "--path", gitops, ...args], { encoding: "utf8", cwd: PROJECT_ROOT });
        return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    };

    it("rewrites the service's entry and says so; a second run of the same release changes nothing and exits 0", () => {
        const image = `registry.example.com/shop/frontend@${DIGEST}`;
        const first = release("--service", "frontend", "--image", image);
        assert.equal(first.status, 0, first.stderr);
        assert.match(first.stdout, /frontend now runs registry\.example\.com\/shop\/frontend@sha256:0123/);
        const written = fs.readFileSync(file, "utf8");
        assert.match(
            written,
            new RegExp(`name: ${chartImageName("frontend")}\\n {4}newName: registry\\.example\\.com/shop/frontend\\n {4}digest: ${DIGEST}\\n`),
        );
        const mtime = fs.statSync(file).mtimeMs;
        const again = release("--service", "frontend", "--image", image);
        assert.equal(again.status, 0, again.stderr);
        assert.match(again.stdout, /frontend already runs .*: nothing changed/);
        assert.equal(fs.readFileSync(file, "utf8"), written);
        assert.equal(fs.statSync(file).mtimeMs, mtime, "the file was written");
    });

    it("refuses every hostile or unpinned image reference, quoting it safely, with a non-zero exit and the file unchanged", () => {
        const before = fs.readFileSync(file, "utf8");
        for (const image of HOSTILE_IMAGES) {
            const run = release("--service", "frontend", `--image=${image}`);
            assert.equal(run.status, 2, `${JSON.stringify(image)}: ${run.stdout}${run.stderr}`);
            assert.ok(run.stderr.startsWith(`--image ${quoteInput(image)}: must `), `${JSON.stringify(image)}: ${run.stderr}`);
            // One line of message, then the usage: no raw newline, control character or stack from the value.
            assert.doesNotMatch(run.stderr.split("\n\n")[0], /\n|\r|\u202e|at .*\.ts:\d+/);
            assert.equal(fs.readFileSync(file, "utf8"), before, JSON.stringify(image));
        }
    });

    it("refuses an unknown service, a missing flag, a missing file and a file without exactly one entry, naming the value", () => {
        const before = fs.readFileSync(file, "utf8");
        const image = "registry.example.com/shop/frontend:v2";
        const cases: [string[], number, RegExp][] = [
            [["--service", "front$(id)", "--image", image], 2, /^--service "front\$\(id\)": not a service of the shop; expected one of adservice, /],
            [["--service", "frontend\nx", "--image", image], 2, /^--service "frontend\\nx": not a service/],
            [["--image", image], 2, /^--service is required/],
            [["--service", "frontend"], 2, /^--image is required/],
            [["--service", "frontend", "--image", image, "--tag", "v2"], 2, /Unknown option '--tag'/],
        ];
        for (const [args, status, message] of cases) {
            const run = release(...args);
            assert.equal(run.status, status, `${args.join(" ")}: ${run.stderr}`);
            assert.match(run.stderr, message);
        }
        const missing = spawnSync(TSX, [MAIN, "--path", path.join(gitops, "nope"), "--service", "frontend", "--image", image], { encoding: "utf8" });
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /^release:image: ENOENT: could not open ".*\/nope\/kustomization\.yaml"\n$/);
        fs.writeFileSync(file, before.replace(`name: ${chartImageName("frontend")}\n`, "name: registry.example.com/other/frontend\n"));
        const none = release("--service", "frontend", "--image", image);
        assert.equal(none.status, 1);
        assert.match(
            none.stderr,
            /kustomization\.yaml" has 0 `images` entries named .*\/frontend \(frontend's chart image\); it must have exactly one; nothing written/,
        );
        assert.equal(fs.readFileSync(file, "utf8"), before.replace(`name: ${chartImageName("frontend")}\n`, "name: registry.example.com/other/frontend\n"));
    });
});
