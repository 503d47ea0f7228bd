import { liveWorkerSlots, readStackConfig } from "./config";
import { ClusterPki } from "./components/cluster-pki";
import { ControlPlane } from "./components/control-plane";
import { HaproxyEntryPoint } from "./components/haproxy";
import { IpPool } from "./components/ip-pool";
import { Network } from "./components/network";
import { NodeAccess } from "./components/node-access";
import { renderPrepareNodeScript } from "./components/node-scripts";
import { WorkerPool } from "./components/worker-pool";

const config = readStackConfig();
const { clusterName, gcp } = config;
const workerSlots = liveWorkerSlots(config.workers);

// Network: a VPC, a subnet with Cloud NAT, and a reserved internal address per node slot.
const network = new Network("network", { region: gcp.region, subnetCidr: config.network.subnet.cidr, adminCidrs: config.network.adminCidrs.map((n) => n.cidr) });
const ipPool = new IpPool("ip-pool", {
    region: gcp.region,
    subnetwork: network.subnetwork.id,
    subnet: config.network.subnet,
    controlPlaneCount: config.controlPlane.count,
    maxWorkers: config.workers.max,
    lokiNodeCount: config.platform.loki.nodeCount,
});

// Identities and keys the program owns: service accounts, the SSH key, the cluster's PKI.
const access = new NodeAccess("node-access", { project: gcp.project, clusterName });
const pki = new ClusterPki("cluster-pki", { clusterName });

const nodeDefaults = {
    clusterName,
    project: gcp.project,
    zone: gcp.zone,
    image: config.nodes.image,
    diskSizeGb: config.nodes.diskSizeGb,
    subnetwork: network.subnetwork.id,
    serviceAccountEmail: access.nodeServiceAccountEmail,
    sshPublicKey: access.sshPublicKey,
    startupScript: renderPrepareNodeScript({ kubernetesVersion: config.kubernetesVersion }),
};

// HAProxy: the only public VM. API server (6443) to control planes, 80/443 to every live worker; SSH bastion.
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
});

// Control plane: kubeadm init through HAProxy, further control planes joined one at a time.
const controlPlane = new ControlPlane("control-plane", {
    ...nodeDefaults,
    kubernetesVersion: config.kubernetesVersion,
    machineType: config.controlPlane.machineType,
    addresses: ipPool.controlPlanes,
    podCidr: config.network.pods.cidr,
    serviceCidr: config.network.services.cidr,
    ssh: haproxy.ssh,
    pki,
    endpoint: { internalIp: haproxy.internalIp, publicIp: haproxy.publicIp, ready: haproxy.configApplied },
    drainTimeoutSeconds: config.nodes.drainTimeoutSeconds,
});

// Workers: one per live slot, each joined in parallel with a token minted at its own join.
const workers = new WorkerPool("workers", {
    ...nodeDefaults,
    machineType: config.workers.machineType,
    slots: workerSlots,
    addresses: ipPool.workers,
    cluster: controlPlane.joinSettings,
});

export const haproxyPublicIp = haproxy.publicIp;
export const apiEndpoint = controlPlane.apiEndpoint;
export const kubeconfig = controlPlane.kubeconfig;
export const nodeNames = { haproxy: haproxy.instanceName, controlPlanes: controlPlane.nodeNames, workers: workers.nodeNames };
export const sshUser = access.sshUser;
/** For `ssh -J`: the program's key (secret). */
export const sshPrivateKey = access.sshPrivateKey;
