import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BucketsOnDestroy } from "../../config/platform-config";
import { bucketOnDestroy } from "../shared/bucket-on-destroy";
import { scheduleProblem } from "../../config/etcd-backup-config";
import { etcdBackupFiles, renderEtcdBackupService, renderEtcdBackupTimer, renderInstallEtcdBackupScript } from "./rendered/etcd-backup-units";
import { encodeFileBundle } from "./rendered/node-files";
import { renderEtcdBackupScript } from "./rendered/node-scripts-etcd-backup";
import { renderEtcdRestoreScript } from "./rendered/node-scripts-etcd-restore";
import { HostIdentity } from "./rendered/node-scripts-google";
import { asRootCommand } from "./rendered/node-scripts-shell";
import { nodeConnection, SshAccess } from "./ssh";
import { federatedPrincipal, FederationPool, KubernetesServiceAccount } from "../shared/workload-identity";

/**
 * The identity the control planes' backups speak as. No ServiceAccount object exists: the hosts
 * sign tokens for this subject with the cluster's key, and the bucket grants name it.
 */
export const ETCD_BACKUP_IDENTITY: KubernetesServiceAccount = { namespace: "kube-system", name: "etcd-backup" };

/**
 * Create and read, never delete or overwrite: a compromised control plane cannot destroy the
 * backups it would need. Only the bucket's lifecycle rule deletes.
 */
/** How a control plane's backup, restore and bring-up scripts speak to the bucket. */
export function etcdBackupHostIdentity(issuer: string, federation: FederationPool, bucket: string): HostIdentity {
    return { issuer, serviceAccount: ETCD_BACKUP_IDENTITY, federation, bucket };
}

export const ETCD_BACKUP_BUCKET_ROLES = ["roles/storage.objectCreator", "roles/storage.objectViewer"] as const;

export interface EtcdBackupControlPlane {
    /** The node name (kubeadm's etcd member name); objects go under `<cluster>/<name>/`. */
    readonly name: string;
    readonly address: pulumi.Input<string>;
    /** Done when this control plane runs etcd. A new id (a replaced node) installs again. */
    readonly ready: pulumi.CustomResource;
}

export interface EtcdBackupArgs {
    readonly project: string;
    /** Bucket location (the cluster's region). */
    readonly location: string;
    /** Whether a destroy keeps the bucket and its snapshots (config bucketsOnDestroy). */
    readonly onDestroy: BucketsOnDestroy;
    readonly clusterName: string;
    /** Days a snapshot is kept (1..3650); the lifecycle rule deletes it, and its noncurrent versions, after that. */
    readonly retentionDays: number;
    /** systemd OnCalendar value of the backup timer. */
    readonly schedule: string;
    /** The API server's --service-account-issuer: the `iss` of the tokens the hosts sign. */
    readonly issuer: string;
    /** The cluster's Workload Identity Federation (ClusterFederation), which trusts the cluster's signing key. */
    readonly federation: pulumi.Input<FederationPool>;
    /** Every control plane: each backs itself up on the timer and can restore. */
    readonly controlPlanes: readonly EtcdBackupControlPlane[];
    readonly ssh: SshAccess;
}

function checkArgs(args: EtcdBackupArgs): void {
    if (!Number.isInteger(args.retentionDays) || args.retentionDays < 1 || args.retentionDays > 3650) {
        throw new Error(`retentionDays must be a whole number of days from 1 to 3650, got ${args.retentionDays}`);
    }
    const problem = scheduleProblem(args.schedule);
    if (problem) throw new Error(`schedule ${JSON.stringify(args.schedule)} ${problem}`);
    if (args.controlPlanes.length === 0) throw new Error("controlPlanes must list at least one control plane");
}

/**
 * Scheduled etcd snapshots from every control plane to a GCS bucket, through Workload Identity
 * Federation and never a key: a versioned bucket with uniform access and public access
 * prevention, create+read grants to one federated principal, and on each control plane the
 * backup and restore scripts with a systemd timer.
 */
export class EtcdBackup extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;

    constructor(name: string, args: EtcdBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:EtcdBackup", name, {}, opts);
        checkArgs(args);
        const parent = { parent: this };
        const onDestroy = bucketOnDestroy(args.onDestroy);
        // Bucket names are global: a suffix keeps this one unique (and free after a destroy).
        const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 3 }, parent);
        const bucket = new gcp.storage.Bucket(
            `${name}-bucket`,
            {
                name: pulumi.interpolate`${args.project}-${args.clusterName}-etcd-${suffix.hex}`,
                location: args.location,
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                // With no delete grant an object is never replaced; versions are a second net under admins' mistakes.
                versioning: { enabled: true },
                forceDestroy: onDestroy.forceDestroy,
                lifecycleRules: [
                    // A live snapshot past retention becomes noncurrent (the bucket is versioned) ...
                    { action: { type: "Delete" }, condition: { age: args.retentionDays, withState: "LIVE" } },
                    // ... and a noncurrent one past retention (by creation) is deleted for good.
                    { action: { type: "Delete" }, condition: { age: args.retentionDays, withState: "ARCHIVED" } },
                ],
                labels: { cluster: args.clusterName, "managed-by": "pulumi", purpose: "etcd-backup" },
            },
            { ...parent, ...onDestroy.options },
        );
        const member = pulumi.output(args.federation).apply((federation) => federatedPrincipal(federation, ETCD_BACKUP_IDENTITY));
        const grants = ETCD_BACKUP_BUCKET_ROLES.map(
            (role) => new gcp.storage.BucketIAMMember(`${name}-${role.replace(/^roles\/storage\./, "")}`, { bucket: bucket.name, role, member }, parent),
        );

        const identity = pulumi
            .all([bucket.name, args.federation])
            .apply(([bucketName, federation]) => etcdBackupHostIdentity(args.issuer, federation, bucketName));
        const installScript = renderInstallEtcdBackupScript(args.schedule);
        const artifacts: Record<string, pulumi.Input<string>> = {};
        args.controlPlanes.forEach((controlPlane, i) => {
            const names = { clusterName: args.clusterName, nodeName: controlPlane.name };
            const backupScript = identity.apply((id) => renderEtcdBackupScript({ ...names, identity: id }));
            const restoreScript = identity.apply((id) => renderEtcdRestoreScript({ ...names, identity: id, expectedMembers: args.controlPlanes.length }));
            new command.remote.Command(
                `${name}-install-cp-${i}`,
                {
                    connection: nodeConnection(args.ssh, controlPlane.address),
                    create: asRootCommand(installScript),
                    // New scripts or units change stdin, which runs `create` again.
                    stdin: pulumi
                        .all([backupScript, restoreScript])
                        .apply(([backup, restore]) =>
                            encodeFileBundle(etcdBackupFiles({ backupScript: backup, restoreScript: restore, schedule: args.schedule })),
                        ),
                    triggers: [controlPlane.ready.id],
                },
                // The grants first: a timer must never fire against a bucket it cannot write to.
                { ...parent, dependsOn: [controlPlane.ready, ...grants] },
            );
            artifacts[`nodes/cp-${i}/etcd-backup.sh`] = backupScript;
            artifacts[`nodes/cp-${i}/etcd-restore.sh`] = restoreScript;
            artifacts[`nodes/cp-${i}/etcd-backup.service`] = renderEtcdBackupService();
            artifacts[`nodes/cp-${i}/etcd-backup.timer`] = renderEtcdBackupTimer(args.schedule);
            artifacts[`nodes/cp-${i}/install-etcd-backup.sh`] = installScript;
        });
        this.bucketName = bucket.name;
        this.registerOutputs({ bucketName: this.bucketName, artifacts });
    }
}
