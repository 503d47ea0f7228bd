import * as pulumi from "@pulumi/pulumi";
import { etcdBackupHostIdentity } from "./etcd-backup";
import { PendingNodeFile } from "./node-join";
import { CONTROL_PLANE_BRING_UP_PATHS, ControlPlaneBringUpInput, renderBringUpControlPlaneScript } from "./rendered/node-scripts-control-plane";
import { ControlPlaneRestore } from "./rendered/node-scripts-control-plane-restore";
import { FederationPool } from "../shared/workload-identity";

/** What ControlPlane knows that a single control plane's restore needs. */
export interface ControlPlaneRestoreArgs {
    /** The number of control planes: only a single one is restored from the backups (three join each other). */
    readonly controlPlaneCount: number;
    /** StackConfig.controlPlane.restoreFromBackup (restoreControlPlaneFromBackup). @default false */
    readonly enabled: boolean;
    readonly clusterName: string;
    /** The API server's --service-account-issuer: the `iss` of the tokens the host signs. */
    readonly issuer: string;
    /** The cluster's Workload Identity Federation (ClusterFederation.pool), which trusts sa.key. */
    readonly federation: pulumi.Input<FederationPool>;
    /**
     * The etcd backup bucket (EtcdBackup.bucketName). EtcdBackup is built after ControlPlane (its
     * installs wait for the bring-ups), so index.ts passes a pulumi.deferredOutput resolved later.
     */
    readonly bucket: pulumi.Input<string>;
    /** cp-0's kubeadm init config, the same text `cluster-init` receives. */
    readonly initConfig: pulumi.Input<string>;
}

/** What cp-0's bring-up takes from the restore: its script input, extra bundle files, and the script itself. */
export interface ControlPlaneRestoreWiring {
    /** renderBringUpControlPlaneScript's `restore` for cp-0. */
    readonly restore: pulumi.Output<ControlPlaneRestore>;
    /** Extra files of cp-0's bring-up bundle: the init config when the restore is enabled (kubeadm init needs it), none otherwise. */
    readonly bundleFiles: readonly PendingNodeFile[];
    /** cp-0's bring-up script (mayInitialize false) with the restore input. */
    readonly bringUpScript: (node: Omit<ControlPlaneBringUpInput, "mayInitialize" | "restore">) => pulumi.Output<string>;
}

/**
 * The restore wiring of a single control plane's bring-up, or undefined with several control
 * planes (a replaced one joins the others). Throws when a restore is enabled with several,
 * naming both settings, before any resource exists.
 */
export function controlPlaneRestoreWiring(args: ControlPlaneRestoreArgs): ControlPlaneRestoreWiring | undefined {
    if (args.controlPlaneCount !== 1) {
        if (args.enabled) {
            throw new Error(
                `restore from backup applies only to a single control plane, got controlPlaneCount ${args.controlPlaneCount}: with several, a replaced one joins the others`,
            );
        }
        return undefined;
    }
    const restore = pulumi.all([args.bucket, args.federation]).apply(([bucket, federation]): ControlPlaneRestore => ({
        enabled: args.enabled,
        clusterName: args.clusterName,
        identity: etcdBackupHostIdentity(args.issuer, federation, bucket),
    }));
    return {
        restore,
        bundleFiles: args.enabled ? [{ path: CONTROL_PLANE_BRING_UP_PATHS.initConfig, mode: "0644", content: args.initConfig }] : [],
        bringUpScript: (node) => restore.apply((input) => renderBringUpControlPlaneScript({ ...node, mayInitialize: false, restore: input })),
    };
}
