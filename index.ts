import { deployedReleaseOutput, liveWorkerSlots, readStackConfig } from "./config";
import * as pulumi from "@pulumi/pulumi";
import { Autoscaling } from "./components/autoscaling/autoscaling";
import { ClusterFederation } from "./components/cluster/cluster-federation";
import { ClusterPki } from "./components/cluster/cluster-pki";
import { EtcdBackup } from "./components/cluster/etcd-backup";
import { API_SERVER_PORT, ControlPlane, SERVICE_ACCOUNT_ISSUER } from "./components/cluster/control-plane";
import { HaproxyEntryPoint } from "./components/cluster/haproxy";
import { DEFAULT_HAPROXY_PORTS } from "./components/cluster/rendered/haproxy-config";
import { IpPool } from "./components/cluster/ip-pool";
import { Network } from "./components/cluster/network";
import { NodeAccess } from "./components/cluster/node-access";
import { rollWaitSeconds } from "./components/cluster/node-roll";
import { renderPrepareNodeStartupScript } from "./components/cluster/rendered/node-scripts";
import { DedicatedNodePool, WorkerPool } from "./components/cluster/worker-pool";
import { WorkersReady } from "./components/cluster/workers-ready";
import { Cni } from "./components/platform/cni";
import { DefaultStorage } from "./components/platform/default-storage";
import { IstioMesh } from "./components/platform/istio-mesh";
import { BOUTIQUE_NAMESPACE, OnlineBoutique } from "./components/delivery/online-boutique";
import { frontendDelivery, ProgressiveDelivery } from "./components/delivery/progressive-delivery";
import { Kiali } from "./components/platform/kiali";
import { Logging } from "./components/platform/logging";
import { LOKI_PLACEMENT } from "./components/platform/loki-values";
import { LOKI_POOL } from "./config/node-pools";
import { Monitoring } from "./components/platform/monitoring";
import { OtelCollector } from "./components/platform/otel-collector";
import { OTEL_COLLECTOR, OTEL_COLLECTOR_HOST } from "./components/platform/otel-collector-values";
import { LOKI, LOKI_OTLP_ENDPOINT, LOKI_URL, TEMPO, TEMPO_OTLP_ENDPOINT, TEMPO_URL } from "./components/platform/service-addresses";
import { Tracing } from "./components/platform/tracing";
import { VolumeRelease } from "./components/platform/volume-release";
import { MONITORING_NAMESPACE } from "./components/platform/monitoring-objects";
import { GRAFANA_PORT_FORWARD, iapSshCommand, KIALI_PORT_FORWARD, shopUrl, sshCommand } from "./components/platform/access-commands";
import { ArgoCd } from "./components/delivery/argo-cd";
import { ARGOCD_PORT_FORWARD } from "./components/delivery/gitops-objects";

/**
 * The program: the validated config (checked against what the stack deployed), then the platform
 * layer by layer. Async so that the deployed release is known before any resource is declared.
 */
export = async () => {
    const config = await readStackConfig();
    const { clusterName, gcp, platform } = config;
    const { layers } = platform;
    const workerSlots = liveWorkerSlots(config.workers);

    // Network: a VPC, a subnet with Cloud NAT, and a reserved internal address per node slot. The
    // in-cluster scaler runs `pulumi up` through HAProxy's public endpoint, like an admin.
    const network = new Network("network", {
        region: gcp.region,
        subnetCidr: config.network.subnet.cidr,
        adminCidrs: config.network.adminCidrs.map((n) => n.cidr),
        admitClusterEgress: config.autoscaler !== undefined,
    });
    const ipPool = new IpPool("ip-pool", {
        region: gcp.region,
        subnetwork: network.subnetwork.id,
        subnet: config.network.subnet,
        controlPlaneCount: config.controlPlane.count,
        maxWorkers: config.workers.max,
        lokiNodeCount: config.platform.loki.nodeCount,
    });

    // Identities and keys the program owns: service accounts, the SSH key, the cluster's PKI.
    const access = new NodeAccess("node-access", { project: gcp.project, clusterName, persistentDisks: platform.storageProvider === "gce-pd" });
    const pki = new ClusterPki("cluster-pki", { clusterName });
    // Google trusts the cluster's own service-account tokens (etcd backups, Loki's bucket, the scaler): no key files.
    const federation = new ClusterFederation("federation", { project: gcp.project, clusterName, issuer: SERVICE_ACCOUNT_ISSUER, jwks: pki.serviceAccountJwks });

    const nodeDefaults = {
        clusterName,
        project: gcp.project,
        region: gcp.region,
        zone: gcp.zone,
        image: config.nodes.image,
        diskSizeGb: config.nodes.diskSizeGb,
        kubernetesVersion: config.kubernetesVersion,
        subnetwork: network.subnetwork.id,
        serviceAccountEmail: access.nodeServiceAccountEmail,
        sshPublicKey: access.sshPublicKey,
        workerJoinPublicKey: access.workerJoinPublicKey,
        startupScript: renderPrepareNodeStartupScript({ kubernetesVersion: config.kubernetesVersion }),
    };

    // HAProxy: the only public VM. API server (6443) to control planes, 80/443 to every live worker (a
    // file of its own, the only thing a scale changes outside the pool); SSH bastion.
    const haproxy = new HaproxyEntryPoint("haproxy", {
        clusterName,
        region: gcp.region,
        zone: gcp.zone,
        machineType: config.haproxy.machineType,
        image: config.nodes.image,
        subnetwork: network.subnetwork.id,
        internalAddress: ipPool.haproxy,
        serviceAccountEmail: access.haproxyServiceAccountEmail,
        sshUser: access.sshUser,
        sshPublicKey: access.sshPublicKey,
        sshPrivateKey: access.sshPrivateKey,
        controlPlanes: ipPool.controlPlanes.map((address, i) => ({ name: `cp-${i}`, address: address.ip })),
        workers: workerSlots.map((slot) => ({ name: `worker-${slot}`, address: ipPool.workers[slot].ip })),
        // A destroy deletes the rules every connection of the program crosses only after the bastion (docs/operations.md: Tearing down).
        outlives: network.programPathRules,
    });

    // The etcd backup bucket, made below (its installs wait for the bring-ups): a lone replaced
    // control plane restores etcd from it.
    const [etcdBackupBucketName, resolveEtcdBackupBucketName] = pulumi.deferredOutput<string>();

    // Control plane: the cluster initialized once, then each control plane brought up (joined) one at a time.
    const controlPlane = new ControlPlane("control-plane", {
        ...nodeDefaults,
        kubernetesVersion: config.kubernetesVersion,
        machineType: config.controlPlane.machineType,
        addresses: ipPool.controlPlanes,
        podCidr: config.network.pods.cidr,
        serviceCidr: config.network.services.cidr,
        ssh: haproxy.ssh,
        pki,
        endpoint: { internalIp: haproxy.internalIp, publicIp: haproxy.publicIp, ready: haproxy.apiConfigApplied },
        drainTimeoutSeconds: config.nodes.drainTimeoutSeconds,
        workerJoinPrivateKey: access.workerJoinPrivateKey,
        restore: { enabled: config.controlPlane.restoreFromBackup, federation: federation.pool, bucket: etcdBackupBucketName },
        rollWaitSeconds: rollWaitSeconds(config.controlPlane.count + config.workers.max + platform.loki.nodeCount, config.nodes.drainTimeoutSeconds),
    });

    // etcd snapshots from every control plane to a versioned bucket, on a timer; keyless (docs/operations.md: etcd backups and restoring etcd).
    const etcdBackup = new EtcdBackup("etcd-backup", {
        project: gcp.project,
        location: gcp.region,
        onDestroy: platform.bucketsOnDestroy,
        clusterName,
        retentionDays: config.etcdBackup.retentionDays,
        schedule: config.etcdBackup.schedule,
        issuer: SERVICE_ACCOUNT_ISSUER,
        federation: federation.pool,
        // Installed by each control plane's bring-up, and again on a replaced one (a new bring-up id).
        controlPlanes: controlPlane.nodeNames.map((name, i) => ({ name, address: ipPool.controlPlanes[i].ip, ready: controlPlane.bringUps[i] })),
        ssh: haproxy.ssh,
    });
    resolveEtcdBackupBucketName(etcdBackup.bucketName);

    // Workers: one per live slot, each joined in parallel from cp-0 with a token minted for each attempt.
    const workers = new WorkerPool("workers", {
        ...nodeDefaults,
        machineType: config.workers.machineType,
        slots: workerSlots,
        addresses: ipPool.workers,
        cluster: controlPlane.joinSettings,
    });

    // Dedicated Loki nodes (optional): tainted, so only Loki's pods land there; never autoscaled.
    const lokiNodes =
        layers.logging && platform.loki.nodeCount > 0
            ? new DedicatedNodePool("loki-pool", {
                  ...nodeDefaults,
                  machineType: platform.loki.machineType,
                  pool: LOKI_POOL,
                  addresses: ipPool.lokiNodes,
                  cluster: controlPlane.joinSettings,
              })
            : undefined;

    // The platform, in install order, on the new cluster. Pods other than Cilium's need workers: the
    // releases wait for minWorkers schedulable nodes, never for the pool itself, so nothing outside
    // the pool depends on a worker and a scale update targets the workers alone.
    const onCluster = { providers: [controlPlane.provider] };
    const cni = new Cni(
        "cni",
        { apiServerHost: haproxy.internalIp, apiServerPort: API_SERVER_PORT, podCidr: config.network.pods.cidr, after: [controlPlane.initialized] },
        onCluster,
    );
    const workersReady = new WorkersReady("workers-ready", {
        cluster: controlPlane.joinSettings,
        clusterInitialized: controlPlane.initialized,
        minReadyWorkers: config.workers.min,
    });
    const storage = new DefaultStorage("storage", { provider: platform.storageProvider, after: [cni, workersReady] }, onCluster);
    const withNodes = [storage, workersReady];
    const collectorTraces = layers.tracing
        ? { host: OTEL_COLLECTOR_HOST, port: OTEL_COLLECTOR.grpcPort, samplingPercent: platform.traceSamplingPercent }
        : undefined;
    const istio = layers.istio ? new IstioMesh("istio", { tracing: collectorTraces, after: [cni, workersReady] }, onCluster) : undefined;
    const monitoring = layers.monitoring
        ? new Monitoring(
              "monitoring",
              {
                  storageClass: storage.storageClass,
                  lokiUrl: layers.logging ? LOKI_URL : undefined,
                  tempoUrl: layers.tracing ? TEMPO_URL : undefined,
                  haproxyMetricsTarget: `${haproxy.internalIp}:${DEFAULT_HAPROXY_PORTS.metrics}`,
                  istio: layers.istio,
                  after: withNodes,
              },
              onCluster,
          )
        : undefined;
    const logging =
        layers.logging && federation
            ? new Logging(
                  "logging",
                  {
                      project: gcp.project,
                      region: gcp.region,
                      clusterName,
                      retentionDays: platform.loki.retentionDays,
                      bucketOnDestroy: platform.bucketsOnDestroy,
                      replicas: platform.loki.replicas,
                      storageClass: storage.storageClass,
                      federation: federation.pool,
                      monitoring: monitoring?.release,
                      placement: lokiNodes ? LOKI_PLACEMENT : undefined,
                      after: lokiNodes ? [...withNodes, lokiNodes] : withNodes,
                  },
                  onCluster,
              )
            : undefined;
    const tracing = layers.tracing ? new Tracing("tracing", { storageClass: storage.storageClass, after: withNodes }, onCluster) : undefined;
    // On destroy, the claims' Persistent Disks are deleted through the CSI driver before it and the cluster go.
    const claimOwners = [
        ...(monitoring ? [{ namespace: MONITORING_NAMESPACE, release: monitoring.release }] : []),
        ...(logging ? [{ namespace: LOKI.namespace, release: logging.release }] : []),
        ...(tracing ? [{ namespace: TEMPO.namespace, release: tracing.release }] : []),
    ];
    if (platform.storageProvider === "gce-pd" && claimOwners.length > 0) {
        new VolumeRelease("storage-volumes", {
            namespaces: claimOwners.map((owner) => owner.namespace),
            controlPlaneAddress: ipPool.controlPlanes[0].ip,
            ssh: haproxy.ssh,
            after: [storage, controlPlane.provider, controlPlane.initialized, ...claimOwners.map((owner) => owner.release)],
        });
    }
    if (logging || tracing) {
        // Waits for no backend: a failing Tempo must not keep logs from Loki (exporters queue and retry while one starts).
        new OtelCollector(
            "collector",
            { lokiOtlpEndpoint: logging && LOKI_OTLP_ENDPOINT, tempoOtlpEndpoint: tracing && TEMPO_OTLP_ENDPOINT, after: withNodes },
            onCluster,
        );
    }
    if (layers.kiali && istio && monitoring) {
        new Kiali(
            "kiali-console",
            { grafanaAdminPassword: monitoring.grafanaAdminPassword, tempoUrl: tracing && TEMPO_URL, after: [istio, monitoring] },
            onCluster,
        );
    }

    // Online Boutique in the mesh, its frontend released by Flagger (config.delivery). Its objects are
    // applied by the program, or by Argo CD from the Git path (config.boutiqueDelivery); the
    // namespace, Flagger and the Canary are the program's either way.
    const { boutiqueDelivery } = config;
    const shopOn = config.boutique.enabled && istio && monitoring;
    let argoCd: ArgoCd | undefined;
    if (shopOn) {
        const boutique = new OnlineBoutique(
            "boutique",
            {
                config: config.boutique,
                deliveredBy: boutiqueDelivery.by,
                delivery: frontendDelivery(BOUTIQUE_NAMESPACE),
                kubeconfig: controlPlane.kubeconfig,
                after: [istio],
            },
            onCluster,
        );
        argoCd =
            boutiqueDelivery.by === "argocd"
                ? new ArgoCd(
                      "gitops",
                      {
                          source: boutiqueDelivery.source,
                          shopNamespace: boutique.namespace,
                          podCidr: config.network.pods.cidr,
                          serviceCidr: config.network.services.cidr,
                          after: [cni, ...withNodes, boutique, monitoring],
                      },
                      onCluster,
                  )
                : undefined;
        const hosts = haproxy.publicIp.apply((ip) => [ip, ...config.boutique.hosts]);
        new ProgressiveDelivery(
            "delivery",
            { delivery: config.delivery, namespace: boutique.namespace, hosts, after: [monitoring, boutique, ...(argoCd ? [argoCd.application] : [])] },
            onCluster,
        );
    }

    // The Cluster Autoscaler and the scaler, on the control plane: they depend on nothing a scale update changes.
    const autoscaling =
        config.autoscaler && federation
            ? new Autoscaling(
                  "autoscaling",
                  {
                      project: gcp.project,
                      clusterName,
                      stack: pulumi.getStack(),
                      config: config.autoscaler,
                      kubernetesMinor: config.kubernetesVersion.minor,
                      federation: federation.pool,
                      nodeServiceAccountEmail: access.nodeServiceAccountEmail,
                      stateNode: controlPlane.nodeNames[0],
                      monitoring: monitoring?.release,
                      after: [cni, controlPlane.initialized],
                  },
                  onCluster,
              )
            : undefined;

    return {
        haproxyPublicIp: haproxy.publicIp,
        /** The cluster's outbound (Cloud NAT) address. */
        egressIp: network.egressIp,
        apiEndpoint: controlPlane.apiEndpoint,
        kubeconfig: controlPlane.kubeconfig,
        nodeNames: { haproxy: haproxy.instanceName, controlPlanes: controlPlane.nodeNames, workers: workers.nodeNames, loki: lokiNodes?.nodeNames ?? [] },
        lokiBucket: logging?.bucketName,
        etcdBackupBucket: etcdBackup.bucketName,
        /** Grafana's `admin` password (secret): `pulumi stack output --show-secrets grafanaAdminPassword`. */
        grafanaAdminPassword: monitoring?.grafanaAdminPassword,
        /** The scaler's Google identity (grant it more only if a scale update needs it). */
        scalerServiceAccount: autoscaling?.scalerServiceAccountEmail,
        sshUser: access.sshUser,
        /** The program's key (secret), for sshCommand's <key file>. */
        sshPrivateKey: access.sshPrivateKey,
        /** The release every node runs; the next update's config is checked against it. */
        kubernetesVersion: deployedReleaseOutput(config.kubernetesVersion),
        // Commands for this stack, whatever it is called (README and docs/ name none of its addresses).
        shopUrl: shopOn ? haproxy.publicIp.apply(shopUrl) : undefined,
        /** cp-0 through HAProxy, as the program connects; <key file> holds `sshPrivateKey`. */
        sshCommand: pulumi
            .all([haproxy.publicIp, ipPool.controlPlanes[0].ip])
            .apply(([bastionIp, nodeIp]) => sshCommand({ user: access.sshUser, bastionIp, nodeIp })),
        iapSshCommand: iapSshCommand({ instance: controlPlane.nodeNames[0], zone: gcp.zone, project: gcp.project }),
        grafanaPortForward: monitoring ? GRAFANA_PORT_FORWARD : undefined,
        kialiPortForward: layers.kiali && istio && monitoring ? KIALI_PORT_FORWARD : undefined,
        // Argo CD's console and admin password (secret), when it delivers the shop.
        ...(argoCd ? { argocdAdminPassword: argoCd.adminPassword, argocdPortForward: ARGOCD_PORT_FORWARD } : {}),
    };
};
