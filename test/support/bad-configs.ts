/** Bad configs and the one message each must produce: key, value, what is allowed. */
export const BAD_CONFIGS: readonly { readonly overrides: Record<string, string>; readonly message: string }[] = [
    { overrides: { controlPlaneCount: "2" }, message: 'boutique-platform:controlPlaneCount = "2": must be 1 or 3 (etcd needs an odd number of members)' },
    { overrides: { controlPlaneCount: "0" }, message: 'boutique-platform:controlPlaneCount = "0": must be 1 or 3 (etcd needs an odd number of members)' },
    { overrides: { workerCount: "-1" }, message: 'boutique-platform:workerCount = "-1": must be a whole number from 0 to 5000' },
    { overrides: { workerCount: "2.5" }, message: 'boutique-platform:workerCount = "2.5": must be a whole number from 0 to 5000' },
    { overrides: { workerCount: "three" }, message: 'boutique-platform:workerCount = "three": must be a whole number from 0 to 5000' },
    { overrides: { workerCount: "7" }, message: 'boutique-platform:workerCount = "7": must be between minWorkers (2) and maxWorkers (6)' },
    { overrides: { workerCount: "1" }, message: 'boutique-platform:workerCount = "1": must be between minWorkers (2) and maxWorkers (6)' },
    { overrides: { minWorkers: "8" }, message: 'boutique-platform:minWorkers = "8": must not exceed maxWorkers (6)' },
    { overrides: { maxWorkers: "0", minWorkers: "0", workerCount: "0" }, message: 'boutique-platform:maxWorkers = "0": must be a whole number from 1 to 5000' },
    {
        overrides: { maxWorkers: "250" },
        message: 'boutique-platform:subnetCidr = "10.10.0.0/24": has room for 222 worker slots, fewer than maxWorkers (250); use a shorter prefix',
    },
    {
        overrides: { subnetCidr: "10.10.0.0/27" },
        message: 'boutique-platform:subnetCidr = "10.10.0.0/27": has room for 0 worker slots, fewer than maxWorkers (6); use a shorter prefix',
    },
    {
        overrides: { subnetCidr: "10.10.0.5/24" },
        message:
            'boutique-platform:subnetCidr = "10.10.0.5/24": has host bits set (the network address is 10.10.0.0/24); must be an IPv4 network such as 10.10.0.0/24',
    },
    {
        overrides: { subnetCidr: "10.10.0.0/33" },
        message: 'boutique-platform:subnetCidr = "10.10.0.0/33": has a prefix length above 32; must be an IPv4 network such as 10.10.0.0/24',
    },
    {
        overrides: { podCidr: "10.10.0.0/16" },
        message:
            'boutique-platform:podCidr = "10.10.0.0/16": overlaps boutique-platform:subnetCidr (10.10.0.0/24); the node, pod and service ranges must be disjoint',
    },
    {
        overrides: { serviceCidr: "10.244.128.0/20" },
        message:
            'boutique-platform:serviceCidr = "10.244.128.0/20": overlaps boutique-platform:podCidr (10.244.0.0/16); the node, pod and service ranges must be disjoint',
    },
    {
        overrides: { podCidr: "10.244.0.0/22" },
        message: 'boutique-platform:podCidr = "10.244.0.0/22": has 4 per-node /24 ranges, fewer than the 7 nodes (control planes + maxWorkers)',
    },
    {
        overrides: { serviceCidr: "10.96.0.0/11" },
        message: 'boutique-platform:serviceCidr = "10.96.0.0/11": must be /12 or narrower (the API server\'s limit for IPv4 service ranges)',
    },
    { overrides: { adminCidrs: "[]" }, message: 'boutique-platform:adminCidrs = "[]": must list at least one network allowed to reach the API server and SSH' },
    {
        overrides: { adminCidrs: '["0.0.0.0/0"]' },
        message:
            'boutique-platform:adminCidrs = "[\\"0.0.0.0/0\\"]": admits 4272881664 public addresses together, more than one /8 (16777216): that opens SSH and the API server to much of the internet; narrow it, or set boutique-platform:allowInternetWideAdminAccess to true to say that is meant',
    },
    {
        overrides: { adminCidrs: '["203.0.113.300/24"]' },
        message: 'boutique-platform:adminCidrs = "[\\"203.0.113.300/24\\"]": has "203.0.113.300/24", which is not an IPv4 address with a prefix length',
    },
    { overrides: { adminCidrs: "203.0.113.0/24" }, message: 'boutique-platform:adminCidrs = "203.0.113.0/24": must be a list, e.g. ["203.0.113.0/24"]' },
    { overrides: { retiredWorkerSlots: "[1, 1]" }, message: 'boutique-platform:retiredWorkerSlots = "[1, 1]": must not repeat a slot (repeated: 1)' },
    { overrides: { retiredWorkerSlots: "[-2]" }, message: 'boutique-platform:retiredWorkerSlots = "[-2]": must list slot numbers that are 0 or more' },
    { overrides: { retiredWorkerSlots: "[1.5]" }, message: 'boutique-platform:retiredWorkerSlots = "[1.5]": must list whole numbers' },
    {
        overrides: { retiredWorkerSlots: "[0, 1, 2, 3]" },
        message:
            'boutique-platform:retiredWorkerSlots = "[0, 1, 2, 3]": leaves workerCount 3 needing slot 6, but the IP pool has slots 0..5 (maxWorkers 6); un-retire a slot or raise maxWorkers',
    },
    {
        overrides: { kubernetesVersion: "1.32" },
        message:
            'boutique-platform:kubernetesVersion = "1.32": must name an exact patch release such as "1.32.4", not a minor alone: "1.32" would install whichever 1.32 patch is newest on the day each VM boots, and nodes added later would run a newer kubelet than the API server',
    },
    {
        overrides: { kubernetesVersion: "1.30.2" },
        message:
            'boutique-platform:kubernetesVersion = "1.30.2": must be an exact Kubernetes release, 1.31.0 or newer, as "1.MINOR.PATCH" such as "1.32.4" (kubeadm v1beta4 configs need 1.31+)',
    },
    {
        overrides: { kubernetesVersion: "latest" },
        message:
            'boutique-platform:kubernetesVersion = "latest": must be an exact Kubernetes release, 1.31.0 or newer, as "1.MINOR.PATCH" such as "1.32.4" (kubeadm v1beta4 configs need 1.31+)',
    },
    { overrides: { restoreControlPlaneFromBackup: "yes" }, message: 'boutique-platform:restoreControlPlaneFromBackup = "yes": must be true or false' },
    {
        overrides: { restoreControlPlaneFromBackup: "true", controlPlaneCount: "3" },
        message:
            'boutique-platform:restoreControlPlaneFromBackup = "true": applies only with controlPlaneCount 1, not 3: a replaced control plane of 3 joins the others, and losing them all is the manual restore in docs/operations.md, "etcd backups and restoring etcd"; set it to false',
    },
    {
        overrides: { workerMachineType: "big" },
        message: 'boutique-platform:workerMachineType = "big": must be a Compute Engine machine type such as e2-standard-4',
    },
    {
        overrides: { clusterName: "Boutique_Dev" },
        message:
            'boutique-platform:clusterName = "Boutique_Dev": must be a lowercase DNS label of at most 20 characters (it prefixes VM and service-account names)',
    },
    { overrides: { "gcp:zone": "us-east1-b" }, message: 'gcp:zone = "us-east1-b": must be a zone of gcp:region europe-west1, such as europe-west1-b' },
    { overrides: { "gcp:project": "X" }, message: 'gcp:project = "X": must be a Google Cloud project ID (6-30 lowercase letters, digits or hyphens)' },
    { overrides: { drainTimeoutSeconds: "5" }, message: 'boutique-platform:drainTimeoutSeconds = "5": must be a whole number from 30 to 3600' },
    { overrides: { enableIstio: "yes" }, message: 'boutique-platform:enableIstio = "yes": must be true or false' },
    { overrides: { storageProvider: "nfs" }, message: 'boutique-platform:storageProvider = "nfs": must be one of gce-pd, local-path' },
    { overrides: { traceSamplingPercent: "0" }, message: 'boutique-platform:traceSamplingPercent = "0": must be a whole number from 1 to 100' },
    { overrides: { lokiRetentionDays: "0" }, message: 'boutique-platform:lokiRetentionDays = "0": must be a whole number from 1 to 3650' },
    { overrides: { lokiNodeCount: "17" }, message: 'boutique-platform:lokiNodeCount = "17": must be a whole number from 0 to 16' },
    {
        overrides: { lokiReplicas: "3" },
        message:
            'boutique-platform:lokiReplicas = "3": must not exceed minWorkers (2), as lokiNodeCount is 0: Loki places one replica of each component per node',
    },
    {
        overrides: { lokiReplicas: "4", lokiNodeCount: "3" },
        message: 'boutique-platform:lokiReplicas = "4": must not exceed lokiNodeCount (3): Loki places one replica of each component per node',
    },
    {
        overrides: { enableMonitoring: "false", enableBoutique: "false" },
        message: 'boutique-platform:enableKiali = "true": needs enableIstio and enableMonitoring (Kiali draws the mesh from Istio\'s Prometheus metrics)',
    },
    {
        overrides: { lokiMachineType: "big" },
        message: 'boutique-platform:lokiMachineType = "big": must be a Compute Engine machine type such as e2-standard-4',
    },
    { overrides: { etcdBackupRetentionDays: "0" }, message: 'boutique-platform:etcdBackupRetentionDays = "0": must be a whole number from 1 to 3650' },
    { overrides: { etcdBackupRetentionDays: "3651" }, message: 'boutique-platform:etcdBackupRetentionDays = "3651": must be a whole number from 1 to 3650' },
    {
        overrides: { etcdBackupSchedule: "every hour" },
        message:
            'boutique-platform:etcdBackupSchedule = "every hour": must be a systemd OnCalendar value: one of hourly, daily, weekly, monthly, quarterly, semiannually, yearly, or "[Mon..Fri ][*-*-* ]HH:MM[:SS][ UTC]" such as "*-*-* *:00:00" (letters, digits, space and * : , . / ~ - only)',
    },
    {
        overrides: { etcdBackupSchedule: "hourly; reboot" },
        message:
            'boutique-platform:etcdBackupSchedule = "hourly; reboot": must be a systemd OnCalendar value: one of hourly, daily, weekly, monthly, quarterly, semiannually, yearly, or "[Mon..Fri ][*-*-* ]HH:MM[:SS][ UTC]" such as "*-*-* *:00:00" (letters, digits, space and * : , . / ~ - only)',
    },
    {
        overrides: { etcdBackupSchedule: "*-*-* *:*:00" },
        message:
            'boutique-platform:etcdBackupSchedule = "*-*-* *:*:00": must not fire every minute or second: give the minutes (and seconds) as fixed numbers, e.g. "*-*-* *:00:00" for hourly',
    },
    {
        overrides: { enableIstio: "false", enableKiali: "false" },
        message: 'boutique-platform:enableBoutique = "true": needs enableIstio and enableMonitoring (the canary routes through Istio and reads Prometheus)',
    },
    {
        overrides: { boutiqueHosts: '["*"]' },
        message: 'boutique-platform:boutiqueHosts = "[\\"*\\"]": has "*", not a DNS name such as shop.example.com (never *: Istio forbids it beside mesh)',
    },
    {
        overrides: { boutiqueImages: '{"frontend": "frontend:latest-ish spaces"}' },
        message:
            "boutique-platform:boutiqueImages: boutiqueImages.frontend must be an image reference with a tag or digest, e.g. europe-west1-docker.pkg.dev/<project>/platform/app:1.0.0",
    },
    {
        overrides: { boutiqueImages: '{"frontnd": "registry.example.com/shop/frontend:v1"}' },
        message:
            'boutique-platform:boutiqueImages: boutiqueImages names "frontnd", which is not one of adservice, cartservice, checkoutservice, currencyservice, emailservice, frontend, loadgenerator, paymentservice, productcatalogservice, recommendationservice, shippingservice',
    },
    {
        overrides: { delivery: '{"strategy":"rolling"}' },
        message: "boutique-platform:delivery: delivery.strategy must be one of canary, ab, bluegreen",
    },
    {
        overrides: { delivery: '{"stepWeight":30}' },
        message: "boutique-platform:delivery: delivery.stepWeight 30 must not exceed delivery.maxWeight (25)",
    },
    {
        overrides: { delivery: '{"strategy":"ab"}' },
        message:
            'boutique-platform:delivery: delivery.match must name who gets the new version for strategy ab, e.g. [{"header": "x-canary", "exact": "beta"}]',
    },
    { overrides: { delivery: '{"threshold":0}' }, message: "boutique-platform:delivery: delivery.threshold must be from 1 to 100" },
];
