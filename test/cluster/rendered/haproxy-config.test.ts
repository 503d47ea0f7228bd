import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HaproxyConfigFiles, HaproxyConfigInput, renderHaproxyConfig } from "../../../components/cluster/rendered/haproxy-config";
import { requireTool } from "../../support/tools";

const controlPlanes = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `cp-${i}`, address: `10.10.0.${8 + i}` }));
const workers = (n: number) => Array.from({ length: n }, (_, slot) => ({ name: `worker-${slot}`, address: `10.10.0.${32 + slot}` }));

/** The lines of one section ("backend kube-apiserver"), trimmed. */
function sectionOf(config: string, header: string): string[] {
    const lines = config.split("\n");
    const start = lines.indexOf(header);
    assert.ok(start >= 0, `no section ${header}`);
    const end = lines.findIndex((line, i) => i > start && line !== "" && !line.startsWith(" "));
    return lines
        .slice(start + 1, end < 0 ? undefined : end)
        .map((line) => line.trim())
        .filter(Boolean);
}

/** `haproxy -c -f haproxy.cfg -f ingress.cfg`, as the VM's service and config commands load the pair. */
function haproxyCheck(files: HaproxyConfigFiles): { status: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-check-"));
    try {
        const paths = [path.join(dir, "haproxy.cfg"), path.join(dir, "ingress.cfg")];
        fs.writeFileSync(paths[0], files.api);
        fs.writeFileSync(paths[1], files.ingress);
        const result = spawnSync("haproxy", ["-c", ...paths.flatMap((file) => ["-f", file])], { encoding: "utf8" });
        return { status: result.status, output: result.stdout + result.stderr };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("haproxy config renderer (haproxy.cfg + ingress.cfg)", () => {
    const files = renderHaproxyConfig({ controlPlanes: controlPlanes(3), workers: workers(2) });
    const config = files.api;
    const ingress = files.ingress;

    it("sends the API server to every control plane on 6443, health-checked with GET /healthz over TLS", () => {
        const backend = sectionOf(config, "backend kube-apiserver");
        assert.deepEqual(
            backend.filter((line) => line.startsWith("server ")),
            [
                "server cp-0 10.10.0.8:6443 check check-ssl verify none",
                "server cp-1 10.10.0.9:6443 check check-ssl verify none",
                "server cp-2 10.10.0.10:6443 check check-ssl verify none",
            ],
        );
        assert.ok(
            backend.includes("option httpchk") && backend.includes("http-check send meth GET uri /healthz") && backend.includes("http-check expect status 200"),
        );
    });

    it("passes TLS through on 6443 and 443 (TCP mode, no certificate on the bind)", () => {
        for (const [frontend, file] of [
            ["frontend kube-apiserver", config],
            ["frontend ingress-https", ingress],
        ] as const) {
            const lines = sectionOf(file, frontend);
            assert.ok(!lines.some((line) => /\bssl\b|\bcrt\b|mode http/.test(line)), frontend);
        }
        assert.deepEqual(sectionOf(config, "frontend kube-apiserver")[0], "bind :6443");
        assert.ok(sectionOf(config, "defaults").includes("mode tcp"));
    });

    it("sends 80 and 443 to every live worker's ingress NodePorts", () => {
        assert.deepEqual(
            sectionOf(ingress, "backend ingress-http").filter((line) => line.startsWith("server ")),
            ["server worker-0 10.10.0.32:30080 check", "server worker-1 10.10.0.33:30080 check"],
        );
        assert.deepEqual(
            sectionOf(ingress, "backend ingress-https").filter((line) => line.startsWith("server ")),
            ["server worker-0 10.10.0.32:30443 check", "server worker-1 10.10.0.33:30443 check"],
        );
    });

    it("retries a refused connection on another server", () => {
        const defaults = sectionOf(config, "defaults");
        assert.ok(defaults.includes("retries 3") && defaults.includes("option redispatch 1"));
    });

    it("keeps stats and metrics on 127.0.0.1", () => {
        const stats = sectionOf(config, "frontend stats");
        assert.equal(stats[0], "bind 127.0.0.1:8404");
        assert.ok(stats.includes("http-request use-service prometheus-exporter if { path /metrics }"));
        assert.equal(`${config}${ingress}`.match(/^\s+bind /gm)?.length, 4);
    });

    it("keeps the workers out of haproxy.cfg and everything but the workers' frontends and backends out of ingress.cfg", () => {
        assert.doesNotMatch(config.replace(/^#.*\n/gm, ""), /worker|ingress|3008|3044/);
        assert.deepEqual(
            ingress.split("\n").filter((line) => /^\S/.test(line) && !line.startsWith("#")),
            ["frontend ingress-http", "backend ingress-http", "frontend ingress-https", "backend ingress-https"],
            "no global or defaults of its own: haproxy.cfg's apply",
        );
        // A scale change rewrites ingress.cfg alone.
        assert.equal(renderHaproxyConfig({ controlPlanes: controlPlanes(3), workers: workers(5) }).api, config);
        assert.equal(renderHaproxyConfig({ controlPlanes: controlPlanes(1), workers: workers(2) }).ingress, ingress);
    });

    it("is deterministic and keeps the given server order", () => {
        assert.deepEqual(renderHaproxyConfig({ controlPlanes: controlPlanes(3), workers: workers(2) }), files);
        const reversed = renderHaproxyConfig({ controlPlanes: controlPlanes(3), workers: workers(2).reverse() }).ingress;
        assert.ok(reversed.indexOf("worker-1 ") < reversed.indexOf("worker-0 "));
    });

    const invalid: [string, HaproxyConfigInput, RegExp][] = [
        ["no control plane", { controlPlanes: [], workers: [] }, /needs at least one control plane/],
        [
            "a duplicate server name",
            { controlPlanes: [...controlPlanes(1), ...controlPlanes(1)], workers: [] },
            /controlPlanes: server name cp-0 is used twice/,
        ],
        [
            "a bad address",
            { controlPlanes: [{ name: "cp-0", address: "10.10.0.300" }], workers: [] },
            /controlPlanes: cp-0 has address "10.10.0.300", not an IPv4 address/,
        ],
        ["a bad server name", { controlPlanes: controlPlanes(1), workers: [{ name: "w 1", address: "10.10.0.32" }] }, /workers: server name "w 1" must be/],
        ["a port out of range", { controlPlanes: controlPlanes(1), workers: [], ports: { stats: 70000 } }, /port stats = 70000 is not a TCP port/],
        ["a bad bind address", { controlPlanes: controlPlanes(1), workers: [], bindAddress: "localhost" }, /bindAddress "localhost" is not an IPv4 address/],
    ];
    for (const [what, input, message] of invalid) {
        it(`rejects ${what}`, () => assert.throws(() => renderHaproxyConfig(input), message));
    }
});

describe("haproxy -c on the production config (both files, in load order)", () => {
    const shapes: [number, number][] = [
        [1, 0],
        [1, 3],
        [3, 50],
    ];
    for (const [cps, live] of shapes) {
        it(`accepts ${cps} control plane(s) and ${live} workers`, function () {
            requireTool(this, "haproxy", "apt-get install haproxy");
            const check = haproxyCheck(renderHaproxyConfig({ controlPlanes: controlPlanes(cps), workers: workers(live) }));
            assert.equal(check.status, 0, check.output);
            assert.match(check.output, /Configuration file is valid/);
        });
    }

    it("rejects a corrupted config (the check can fail)", function () {
        requireTool(this, "haproxy", "apt-get install haproxy");
        const files = renderHaproxyConfig({ controlPlanes: controlPlanes(1), workers: workers(1) });
        const check = haproxyCheck({ ...files, api: files.api.replace("option dontlognull", "option dontlognul") });
        assert.notEqual(check.status, 0);
        assert.match(check.output, /dontlognul/);
    });

    it("rejects an ingress.cfg that clashes with haproxy.cfg (the pair is checked, not each file alone)", function () {
        requireTool(this, "haproxy", "apt-get install haproxy");
        const files = renderHaproxyConfig({ controlPlanes: controlPlanes(1), workers: workers(1) });
        // Valid alone, but a second proxy named kube-apiserver next to haproxy.cfg's.
        const clash = `${files.ingress}\nbackend kube-apiserver\n    server cp-9 10.10.0.9:6443\n`;
        const check = haproxyCheck({ ...files, ingress: clash });
        assert.notEqual(check.status, 0);
        assert.match(check.output, /kube-apiserver/);
    });
});
