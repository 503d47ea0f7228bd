import { strict as assert } from "assert";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";
import { requireTool } from "../support/tools";

function render(...args: string[]): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_ROOT, "render/main.ts"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });
}

function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((file) => fs.statSync(path.join(dir, file)).isFile());
}

describe("npm run render (the CLI, end to end)", function () {
    this.timeout(180_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
    const dir = path.join(out, "dev");
    let result: SpawnSyncReturns<string>;
    before(() => {
        result = render("--out", out);
    });
    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it("exits 0, writes out/<stack>/ and prints a summary by component and type", () => {
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /boutique-platform\/dev: wrote \d+ files/);
        assert.match(result.stdout, /^\d+ resources$/m);
        assert.match(result.stdout, /^ {2}workers +\d+$/m);
        assert.match(result.stdout, /gcp:compute\/instance:Instance/);
    });

    it("resources.json: one entry per resource with type, name, parent, inputs, dependsOn", () => {
        const resources = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as Record<string, unknown>[];
        assert.ok(resources.length > 40);
        for (const resource of resources) {
            assert.deepEqual(
                Object.keys(resource).filter((key) => key !== "parent"),
                ["type", "name", "inputs", "dependsOn"],
            );
        }
        assert.equal(new Set(resources.map((resource) => resource.name)).size, resources.length, "names are unique");
    });

    it("the rendered haproxy.cfg and haproxy-ingress.cfg pass the real haproxy -c together, in load order", function () {
        requireTool(this, "haproxy", "apt-get install haproxy");
        const check = spawnSync("haproxy", ["-c", "-f", path.join(dir, "haproxy.cfg"), "-f", path.join(dir, "haproxy-ingress.cfg")], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout + check.stderr);
    });

    it("every rendered script passes shellcheck", function () {
        requireTool(this, "shellcheck", "apt-get install shellcheck");
        const scripts = filesUnder(dir).filter((file) => file.endsWith(".sh"));
        assert.ok(scripts.length >= 10, `${scripts.length} scripts`);
        const check = spawnSync("shellcheck", ["--shell=bash", ...scripts.map((file) => path.join(dir, file))], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout);
    });

    it("writes every Helm release's final values, every applied manifest and every rule group", () => {
        const files = filesUnder(dir);
        const releases = [
            "cilium",
            "istio-base",
            "istiod",
            "istio-ingressgateway",
            "kube-prometheus-stack",
            "loki",
            "tempo",
            "otel-collector",
            "kiali",
            "flagger",
            "flagger-loadtester",
            "onlineboutique",
            "cluster-autoscaler",
        ];
        assert.deepEqual(files.filter((file) => file.startsWith("values/")).sort(), releases.map((release) => path.join("values", `${release}.yaml`)).sort());
        for (const manifest of [
            "istio-mesh-policy",
            "monitoring-objects",
            "storage-gce-pd",
            "logging-gcp-credentials",
            "monitoring-grafana-admin",
            "delivery-frontend-canary",
            "autoscaling-scaler",
            "autoscaling-cloud-config",
        ]) {
            assert.ok(files.includes(path.join("manifests", `${manifest}.yaml`)), manifest);
        }
        assert.deepEqual(
            files.filter((file) => file.startsWith("rules/")),
            [path.join("rules", "platform-alerts.yaml")],
        );
    });

    it("every rendered rule file passes the real promtool check rules", function () {
        requireTool(this, "promtool", "apt-get install prometheus");
        const rules = filesUnder(dir).filter((file) => file.startsWith("rules/"));
        assert.ok(rules.length >= 1);
        const check = spawnSync("promtool", ["check", "rules", ...rules.map((file) => path.join(dir, file))], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout + check.stderr);
        assert.match(check.stdout, /SUCCESS: \d+ rules found/);
    });

    it("npm run bench prints its figures for the counts given", () => {
        const bench = spawnSync(
            process.execPath,
            [path.join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_ROOT, "bench/render.ts"), "2", "4"],
            {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
                timeout: 120_000,
            },
        );
        assert.equal(bench.status, 0, bench.stderr);
        assert.match(bench.stdout, /^ +4 +\d+ +\d+\.\d+ +\d+\.\d +/m);
    });

    it("bad config exits non-zero with the validation message and writes nothing", () => {
        const bad = render("--out", path.join(out, "bad"), "--set", "workerCount=9");
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /boutique-platform:workerCount = "9": must be between minWorkers \(2\) and maxWorkers \(6\)/);
        assert.ok(!fs.existsSync(path.join(out, "bad")));
    });

    it("--diff prints what a config change would create, delete and change", () => {
        const diff = render("--diff", "workerCount=4");
        assert.equal(diff.status, 0, diff.stderr);
        assert.match(diff.stdout, /6 to create, 0 to delete, 1 to change/);
        assert.match(diff.stdout, /\+ worker-3-vm \(gcp:compute\/instance:Instance\)/);
        assert.match(diff.stdout, /~ haproxy-config \(command:remote:Command\): stdin/);
        // The scaler's targeted update for the same change: the new worker and the ingress config, closed.
        assert.match(diff.stdout, /^scale update targets: 7 of \d+ resources \(6 to create, 0 to delete, 1 to change, 0 unchanged\)$/m);
        assert.doesNotMatch(diff.stdout, /worker-0/, "no other worker is targeted");
        assert.match(diff.stdout, /^dependents outside the targets: none$/m);
        assert.match(diff.stdout, /^changes outside the targets \(a scale update would not make them\): none$/m);
    });

    it("--diff echoes a long change bounded, as every message quotes a value", () => {
        const hosts = JSON.stringify(Array.from({ length: 60 }, (_, i) => `shop-${i}.example.com`));
        const diff = render("--diff", `boutiqueHosts=${hosts}`);
        assert.equal(diff.status, 0, diff.stderr);
        const [first] = diff.stdout.split("\n");
        assert.match(first, /^boutique-platform\/dev: "boutiqueHosts=\[.{40,}"\.\.\. \(\d+ characters\)$/);
        assert.ok(first.length < 200, first);
    });

    it("--diff of a change that is not a scale names what a scale update would leave undone", () => {
        const diff = render("--diff", "nodeDiskSizeGb=60");
        assert.equal(diff.status, 0, diff.stderr);
        // Not a scale: the scaler changes no worker for it (CI's up applies it), so every disk (and the
        // rolls that replace the VMs one at a time) is left undone.
        assert.match(diff.stdout, /^changes outside the targets \(a scale update would not make them\): 12\n/m);
        for (const vm of ["cp-0-vm", "worker-0-vm", "worker-1-vm", "worker-2-vm"])
            assert.match(diff.stdout, new RegExp(`^ {2}! ${vm} \\(gcp:compute/instance:Instance\\)$`, "m"));
    });

    it("rejects unknown options with the usage", () => {
        const unknown = render("--workers", "3");
        assert.equal(unknown.status, 2);
        assert.match(unknown.stderr, /usage: npm run render/);
    });
});
