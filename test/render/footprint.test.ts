import * as assert from "assert";
import { isRecord } from "../../config/records";
import { evaluateProgram } from "../../render/evaluate";
import { Evaluation } from "../../render/evaluation";
import { ADDRESS, Footprint, footprintOf, INSTANCE, quantityToDiskGb, VOLUME_CLAIMS } from "../../render/footprint";
import { cpuQuotaOf, diskQuotaOf, HOURS_PER_MONTH, monthlyCost, PRICES, quotaTotals, RegionPrices, vmHourPrice } from "../../render/footprint-cost";
import { footprintConfig, FootprintOptions } from "../../render/footprint-main";
import { MockCloud } from "../../render/mock-cloud";
import { machineShape } from "../../config/node-capacity";
import { runScript } from "../support/cli-child";
import { ofType } from "../support/program";
import { PROJECT_ROOT } from "../fixtures";

const PRICE_TEST: RegionPrices = {
    perVcpuHour: { e2: 0.02 },
    perGibHour: { e2: 0.003 },
    sharedCoreHour: { "e2-small": 0.017 },
    diskGbMonth: { "pd-balanced": 0.1, "pd-standard": 0.04 },
    externalIpHour: 0.005,
    natVmHour: 0.0014,
    natVmCap: 32,
};

const SMALL: Footprint = {
    region: "test-region1",
    vms: [
        { role: "haproxy", machineType: "e2-small", count: 1, vcpusEach: 2, memoryMiBEach: 2048 },
        { role: "worker", machineType: "e2-standard-4", count: 3, vcpusEach: 4, memoryMiBEach: 16384 },
        { role: "gpu", machineType: "a2-highgpu-1g", count: 1, vcpusEach: 12, memoryMiBEach: 87040 },
    ],
    bootDisks: [{ owner: "worker boot", diskType: "pd-balanced", sizeGb: 50, count: 3 }],
    volumes: [
        { owner: "prometheus", diskType: "pd-standard", sizeGb: 50, count: 1 },
        { owner: "loki", diskType: "node-local", sizeGb: 10, count: 2 },
    ],
    staticExternalAddresses: ["haproxy-public-ip", "network-egress-ip"],
    ephemeralExternalAddresses: 1,
    staticInternalAddresses: 9,
    vmsBehindNat: 40,
    buckets: ["b"],
};

describe("footprint arithmetic", () => {
    it("turns storage quantities into whole GB as GCE provisions them", () => {
        const cases: [string, number][] = [
            ["50Gi", 50],
            ["10G", 10],
            ["512Mi", 1],
            ["1Ti", 1024],
            ["1.5Gi", 2],
            ["1", 1],
        ];
        for (const [quantity, gb] of cases) assert.strictEqual(quantityToDiskGb(quantity), gb, quantity);
        assert.throws(() => quantityToDiskGb("ten"), /not a storage quantity/);
    });

    it("names the quota each machine family and disk type counts against", () => {
        const cpu: [string, string][] = [
            ["e2-small", "CPUS"],
            ["e2-standard-4", "CPUS"],
            ["n1-standard-2", "CPUS"],
            ["n2-standard-8", "N2_CPUS"],
            ["n2d-highmem-4", "N2D_CPUS"],
        ];
        for (const [type, metric] of cpu) assert.strictEqual(cpuQuotaOf(type), metric, type);
        const disk: [string, string | undefined][] = [
            ["pd-balanced", "SSD_TOTAL_GB"],
            ["pd-ssd", "SSD_TOTAL_GB"],
            ["pd-standard", "DISKS_TOTAL_GB"],
            ["node-local", undefined],
        ];
        for (const [type, metric] of disk) assert.strictEqual(diskQuotaOf(type), metric, type);
    });

    it("adds up the quota totals", () => {
        assert.deepStrictEqual(quotaTotals(SMALL), {
            CPUS: 2 + 12,
            A2_CPUS: 12,
            INSTANCES: 5,
            SSD_TOTAL_GB: 150,
            DISKS_TOTAL_GB: 50,
            IN_USE_ADDRESSES: 3,
            STATIC_ADDRESSES: 2,
            INTERNAL_ADDRESSES: 9,
        });
    });

    it("prices a VM per vCPU and GiB, a shared-core one by its own price, and leaves an unknown family unpriced", () => {
        assert.strictEqual(vmHourPrice({ machineType: "e2-small", vcpusEach: 2, memoryMiBEach: 2048 }, PRICE_TEST), 0.017);
        assert.ok(
            Math.abs((vmHourPrice({ machineType: "e2-standard-4", vcpusEach: 4, memoryMiBEach: 16384 }, PRICE_TEST) ?? 0) - (4 * 0.02 + 16 * 0.003)) < 1e-12,
        );
        assert.strictEqual(vmHourPrice({ machineType: "a2-highgpu-1g", vcpusEach: 12, memoryMiBEach: 87040 }, PRICE_TEST), undefined);
    });

    it("sums the priced lines, caps NAT at its VM limit and lists what it could not price", () => {
        const estimate = monthlyCost(SMALL, { asOf: "test", source: "test", regions: { "test-region1": PRICE_TEST } });
        const expected =
            (0.017 + 3 * (4 * 0.02 + 16 * 0.003)) * HOURS_PER_MONTH + // VMs, the GPU one unpriced
            150 * 0.1 +
            50 * 0.04 +
            0 + // boot, prometheus, node-local Loki
            3 * 0.005 * HOURS_PER_MONTH + // addresses
            32 * 0.0014 * HOURS_PER_MONTH; // NAT, capped
        assert.ok(Math.abs(estimate.usdPerMonth - expected) < 1e-9, `${estimate.usdPerMonth} != ${expected}`);
        assert.deepStrictEqual(estimate.unpriced, ["1 x a2-highgpu-1g (gpu)"]);
        assert.throws(() => monthlyCost({ ...SMALL, region: "mars-north1" }, PRICES), /no prices for region mars-north1/);
    });

    it("prices every machine type Pulumi.yaml's defaults use, in every region of the table", () => {
        for (const [region, prices] of Object.entries(PRICES.regions)) {
            for (const type of ["e2-small", "e2-standard-2", "e2-standard-4"]) {
                const shape = machineShape(type);
                assert.ok((vmHourPrice({ machineType: type, vcpusEach: shape.vcpus, memoryMiBEach: shape.memoryMiB }, prices) ?? 0) > 0, `${region} ${type}`);
            }
        }
    });
});

/** Every claim size in the rendered values: a persistence block's size or a volumeClaimTemplate's request, by dotted path. */
function claimPaths(values: unknown, prefix = ""): string[] {
    if (!isRecord(values)) return [];
    return Object.entries(values).flatMap(([key, child]) => {
        const at = prefix ? `${prefix}.${key}` : key;
        if (key === "persistence" && isRecord(child) && typeof child.size === "string") return [`${at}.size`];
        if (key === "volumeClaimTemplate") return [`${at}.spec.resources.requests.storage`];
        return claimPaths(child, at);
    });
}

describe("npm run footprint against the render", function () {
    const runs: Record<string, { evaluation: Evaluation; stdout: string }> = {};
    const cases: [string, FootprintOptions, string[]][] = [
        ["dev", { overrides: {}, max: false, defaults: false }, []],
        ["dev --max", { overrides: {}, max: true, defaults: false }, ["--max"]],
        ["defaults", { overrides: {}, max: false, defaults: true }, ["--defaults"]],
    ];

    before(async function () {
        for (const [name, options, args] of cases) {
            const config = footprintConfig(PROJECT_ROOT, "dev", options);
            const evaluation = await evaluateProgram({ projectRoot: PROJECT_ROOT, project: "boutique-platform", stack: "dev", cloud: new MockCloud(), config });
            const result = await runScript("render/footprint-main.ts", ["--stack", "dev", ...args]);
            assert.strictEqual(result.status, 0, result.stderr);
            runs[name] = { evaluation, stdout: result.stdout };
        }
    });

    for (const [name] of cases) {
        it(`prints the rendered instances, addresses and disks (${name})`, () => {
            const { evaluation, stdout } = runs[name];
            const instances = ofType(evaluation, INSTANCE);
            const shapes = instances.map((instance) => machineShape(String(instance.inputs.machineType)));
            const vcpus = shapes.reduce((sum, shape) => sum + shape.vcpus, 0);
            assert.match(stdout, new RegExp(`^VMs: ${instances.length}, ${vcpus} vCPUs`, "m"));
            assert.match(stdout, new RegExp(`^ +INSTANCES +${instances.length}$`, "m"));
            const external = ofType(evaluation, ADDRESS).filter((address) => address.inputs.addressType === "EXTERNAL").length;
            const internal = ofType(evaluation, ADDRESS).filter((address) => address.inputs.addressType === "INTERNAL").length;
            assert.match(stdout, new RegExp(`^ +IN_USE_ADDRESSES +${external}$`, "m"));
            assert.match(stdout, new RegExp(`^ +INTERNAL_ADDRESSES +${internal}$`, "m"));
            const bootGb = instances.reduce(
                (sum, instance) => sum + Number((instance.inputs.bootDisk as { initializeParams: { size: number } }).initializeParams.size),
                0,
            );
            const volumesGb = footprintOf(evaluation.resources).volumes.reduce((sum, disk) => sum + disk.count * disk.sizeGb, 0);
            assert.match(stdout, new RegExp(`^ +SSD_TOTAL_GB +${bootGb + volumesGb}$`, "m"));
            assert.match(stdout, /^ +total \$[0-9]+\.[0-9]{2}/m);
        });
    }

    it("--max has maxWorkers workers; the dev stack its workerCount", () => {
        const workers = (name: string) =>
            ofType(runs[name].evaluation, INSTANCE).filter((vm) => isRecord(vm.inputs.labels) && vm.inputs.labels.role === "worker").length;
        assert.strictEqual(workers("dev"), 3);
        assert.strictEqual(workers("dev --max"), 6);
        assert.strictEqual(workers("defaults"), 2);
    });

    it("knows every claim the rendered releases make", () => {
        const releases = ofType(runs.dev.evaluation, "kubernetes:helm.sh/v3:Release");
        const rendered = releases.flatMap((release) => claimPaths(release.inputs.values).map((at) => `${String(release.inputs.name)} ${at}`));
        const known = VOLUME_CLAIMS.map((claim) => `${claim.release} ${claim.size}`);
        assert.deepStrictEqual(
            rendered.filter((claim) => !known.includes(claim)),
            [],
        );
        assert.ok(rendered.length >= 5, rendered.join(", "));
    });
});
