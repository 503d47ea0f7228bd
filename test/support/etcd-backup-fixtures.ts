import { EtcdRestoreScriptSettings } from "../../components/cluster/rendered/node-scripts-etcd-restore";
import { FederationPool } from "../../components/shared/workload-identity";

/** A federation as ClusterFederation reports it (project number, pool id with its suffix, provider). */
export const FIXTURE_FEDERATION: FederationPool = { projectNumber: "123456789012", poolId: "boutique-a1b2c3", providerId: "kubernetes" };

/** The settings a control plane's backup and restore scripts are rendered with in tests. */
export function etcdScriptSettings(overrides: Partial<EtcdRestoreScriptSettings> = {}): EtcdRestoreScriptSettings {
    return {
        clusterName: "boutique",
        nodeName: "boutique-cp-0",
        expectedMembers: 1,
        identity: {
            issuer: "https://kubernetes.default.svc.cluster.local",
            serviceAccount: { namespace: "kube-system", name: "etcd-backup" },
            federation: FIXTURE_FEDERATION,
            bucket: "boutique-dev-000000-boutique-etcd-a1b2c3",
        },
        ...overrides,
    };
}
