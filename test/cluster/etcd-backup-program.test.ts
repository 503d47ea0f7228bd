import { strict as assert } from "assert";
import { ETCD_BACKUP_BUCKET_ROLES } from "../../components/cluster/etcd-backup";
import { ETCD_BACKUP_UNIT_PATHS } from "../../components/cluster/rendered/etcd-backup-units";
import { ETCD_BACKUP_COMMAND, ETCD_RESTORE_COMMAND } from "../../components/cluster/rendered/node-scripts-etcd-backup";
import { Evaluation } from "../../render/evaluation";
import { RenderedResource } from "../../render/evaluation";
import { byName, evaluateDev, ofType } from "../support/program";

/** The etcd backup resources under Pulumi's mocks, for the dev stack and variations of it. */

const BUCKET = "gcp:storage/bucket:Bucket";
const BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember";

function decodeBundle(stdin: string): Map<string, { mode: string; content: string }> {
    return new Map(
        stdin
            .split("\n")
            .filter(Boolean)
            .map((line) => {
                const [mode, path, data] = line.split(" ");
                return [path, { mode, content: Buffer.from(data, "base64").toString("utf8") }] as const;
            }),
    );
}

const inputs = (resource: RenderedResource) => resource.inputs;

describe("etcd backups in the program (Pulumi mocks)", function () {
    let dev: Evaluation;
    before(async () => {
        dev = await evaluateDev();
    });

    it("creates a versioned bucket with uniform access, public access prevention and retention from config", () => {
        const bucket = inputs(byName(dev, "etcd-backup-bucket"));
        assert.equal(byName(dev, "etcd-backup-bucket").type, BUCKET);
        assert.match(String(bucket.name), /^boutique-dev-000000-boutique-dev-etcd-[0-9a-f]{6}$/);
        assert.equal(String(bucket.name).length <= 63, true);
        assert.deepEqual(
            [bucket.uniformBucketLevelAccess, bucket.publicAccessPrevention, bucket.versioning, bucket.forceDestroy],
            [true, "enforced", { enabled: true }, false],
        );
        assert.deepEqual(bucket.lifecycleRules, [
            { action: { type: "Delete" }, condition: { age: 14, withState: "LIVE" } },
            { action: { type: "Delete" }, condition: { age: 14, withState: "ARCHIVED" } },
        ]);
        assert.deepEqual(dev.stackOutputs.etcdBackupBucket, bucket.name);
    });

    it("grants create and read (never delete) to the one federated principal, and no key exists anywhere", () => {
        const bucketName = inputs(byName(dev, "etcd-backup-bucket")).name;
        const grants = ofType(dev, BUCKET_MEMBER).filter((grant) => inputs(grant).bucket === bucketName);
        assert.deepEqual(grants.map((grant) => inputs(grant).role).sort(), [...ETCD_BACKUP_BUCKET_ROLES].sort());
        const pool = inputs(byName(dev, "federation-pool")).workloadIdentityPoolId;
        for (const grant of grants) {
            assert.match(
                String(inputs(grant).member),
                new RegExp(
                    `^principal://iam\\.googleapis\\.com/projects/\\d+/locations/global/workloadIdentityPools/${String(pool)}/subject/system:serviceaccount:kube-system:etcd-backup$`,
                ),
            );
        }
        assert.deepEqual(
            dev.resources.filter((resource) => /key:Key$/i.test(resource.type)).map((resource) => resource.type),
            [],
            "no service-account key resource",
        );
    });

    it("installs the scripts and units on every control plane after it is up and the grants exist, from the config's schedule", async () => {
        const three = await evaluateDev({ controlPlaneCount: "3", etcdBackupRetentionDays: "30", etcdBackupSchedule: "*-*-* 02:30:00" });
        const bucket = inputs(byName(three, "etcd-backup-bucket"));
        assert.deepEqual(
            (bucket.lifecycleRules as { condition: { age: number } }[]).map((rule) => rule.condition.age),
            [30, 30],
        );
        const pool = String(inputs(byName(three, "federation-pool")).workloadIdentityPoolId);
        for (const i of [0, 1, 2]) {
            const install = byName(three, `etcd-backup-install-cp-${i}`);
            assert.ok(
                ["etcd-backup-objectCreator", "etcd-backup-objectViewer"].every((grant) => install.dependsOn.includes(grant)),
                `cp-${i} waits for the grants`,
            );
            assert.ok(install.dependsOn.includes(`cp-${i}-bring-up`), `cp-${i}'s install waits for its bring-up`);
            // A replaced control plane (a new bring-up id) gets the scripts and the timer again.
            assert.equal((inputs(install).triggers as unknown[] | undefined)?.length, 1, `cp-${i}'s install is triggered by its bring-up`);
            const files = decodeBundle(String(inputs(install).stdin));
            assert.deepEqual(
                [...files.keys()].sort(),
                [ETCD_BACKUP_COMMAND, ETCD_RESTORE_COMMAND, ETCD_BACKUP_UNIT_PATHS.service, ETCD_BACKUP_UNIT_PATHS.timer].sort(),
            );
            const backup = files.get(ETCD_BACKUP_COMMAND)?.content ?? "";
            assert.match(backup, new RegExp(`^readonly NODE_NAME='boutique-dev-cp-${i}'$`, "m"));
            assert.match(backup, new RegExp(`^readonly BUCKET='${String(bucket.name)}'$`, "m"));
            assert.match(backup, /^readonly TOKEN_ISSUER='https:\/\/kubernetes\.default\.svc\.cluster\.local'$/m);
            assert.match(
                backup,
                new RegExp(
                    `^readonly TOKEN_AUDIENCE='https://iam\\.googleapis\\.com/projects/\\d+/locations/global/workloadIdentityPools/${pool}/providers/kubernetes'$`,
                    "m",
                ),
            );
            assert.match(files.get(ETCD_RESTORE_COMMAND)?.content ?? "", /^readonly EXPECTED_MEMBERS=3$/m);
            assert.match(files.get(ETCD_BACKUP_UNIT_PATHS.timer)?.content ?? "", /^OnCalendar=\*-\*-\* 02:30:00$/m);
            assert.match(three.artifacts[`nodes/cp-${i}/etcd-backup.timer`], /^Persistent=true$/m);
        }
        assert.deepEqual(
            Object.keys(dev.artifacts)
                .filter((file) => file.includes("etcd"))
                .sort(),
            ["etcd-backup.service", "etcd-backup.sh", "etcd-backup.timer", "etcd-restore.sh", "install-etcd-backup.sh"].map((file) => `nodes/cp-0/${file}`),
        );
    });
});
