import * as ipaddr from "ipaddr.js";

export interface HaproxyServer {
    /** "cp-0", "worker-3": unique within its backend, shown in stats and logs. */
    readonly name: string;
    readonly address: string;
}

export interface HaproxyPorts {
    /** Frontend port, and the control planes' API-server port. */
    readonly apiServer: number;
    readonly http: number;
    readonly https: number;
    /** The Istio ingress gateway's NodePorts on every worker. */
    readonly ingressHttp: number;
    readonly ingressHttps: number;
    /** Stats page and Prometheus metrics, on 127.0.0.1 only. */
    readonly stats: number;
    /** Prometheus metrics only, on the internal address, for the cluster's Prometheus. */
    readonly metrics: number;
}

const DEFAULT_MAX_CONNECTIONS = 20000;

export const DEFAULT_HAPROXY_PORTS: HaproxyPorts = {
    apiServer: 6443,
    http: 80,
    https: 443,
    ingressHttp: 30080,
    ingressHttps: 30443,
    stats: 8404,
    metrics: 8405,
};

export interface HaproxyConfigInput {
    /** API-server backends; at least one. */
    readonly controlPlanes: readonly HaproxyServer[];
    /** Ingress backends; may be empty (a backend without servers answers 503 / closes). */
    readonly workers: readonly HaproxyServer[];
    readonly ports?: Partial<HaproxyPorts>;
    /** Address the public frontends bind; default every address. */
    readonly bindAddress?: string;
    /** The VM's internal address: serve /metrics there (nothing else) for the cluster's Prometheus; absent, no such frontend. */
    readonly metricsAddress?: string;
    /**
     * Default true: run as the Debian package's service does (user/group haproxy, chroot,
     * admin socket under /run/haproxy). Tests set false to run it in the foreground.
     */
    readonly systemService?: boolean;
    /**
     * Global connection limit; default 20000. HAProxy needs about two file descriptors per
     * connection and raises its own limit to match, within the hard limit (systemd's 524288 on
     * the VM; a test sandbox may allow far fewer).
     */
    readonly maxConnections?: number;
}

function validate(input: HaproxyConfigInput, ports: HaproxyPorts): void {
    if (input.controlPlanes.length === 0) {
        throw new Error("haproxy config needs at least one control plane");
    }
    for (const [group, servers] of [
        ["controlPlanes", input.controlPlanes],
        ["workers", input.workers],
    ] as const) {
        const names = new Set<string>();
        for (const server of servers) {
            if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(server.name))
                throw new Error(`${group}: server name ${JSON.stringify(server.name)} must be letters, digits, ".", "_" or "-"`);
            if (names.has(server.name)) throw new Error(`${group}: server name ${server.name} is used twice`);
            if (!ipaddr.IPv4.isValidFourPartDecimal(server.address))
                throw new Error(`${group}: ${server.name} has address ${JSON.stringify(server.address)}, not an IPv4 address`);
            names.add(server.name);
        }
    }
    for (const [name, port] of Object.entries(ports)) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${name} = ${port} is not a TCP port (1-65535)`);
    }
    const maxConnections = input.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new Error(`maxConnections = ${maxConnections} must be a positive whole number`);
    for (const [key, address] of [
        ["bindAddress", input.bindAddress],
        ["metricsAddress", input.metricsAddress],
    ] as const) {
        if (address !== undefined && !ipaddr.IPv4.isValidFourPartDecimal(address)) throw new Error(`${key} ${JSON.stringify(address)} is not an IPv4 address`);
    }
}

const section = (header: string, lines: readonly string[]) => [header, ...lines.map((line) => `    ${line}`)].join("\n");

/**
 * The entry point's configuration as the two files HAProxy loads, in this order (`-f api -f ingress`).
 * Split so that a scale change rewrites only the second: the cluster's bring-up (kubeadm init
 * reaches the API through HAProxy) waits for the first alone, and nothing but the ingress
 * command depends on the worker list.
 */
export interface HaproxyConfigFiles {
    /** haproxy.cfg: global, defaults, the API server (TCP, TLS passed through), stats and metrics. */
    readonly api: string;
    /** ingress.cfg: HTTP and HTTPS to every worker's Istio gateway NodePorts; uses the first file's global and defaults. */
    readonly ingress: string;
}

/**
 * The cluster's entry point: the API server in TCP mode (TLS passes through to the control
 * planes, checked with GET /healthz over TLS) and stats on localhost in the first file; HTTP and
 * HTTPS ingress to every worker's Istio gateway NodePorts (HTTPS passed through untouched) in the
 * second. The metrics frontend exports every proxy, the second file's included.
 */
export function renderHaproxyConfig(input: HaproxyConfigInput): HaproxyConfigFiles {
    const ports: HaproxyPorts = { ...DEFAULT_HAPROXY_PORTS, ...input.ports };
    validate(input, ports);
    const bind = (port: number) => `bind ${input.bindAddress ?? ""}:${port}`;
    const systemService = input.systemService ?? true;
    const servers = (list: readonly HaproxyServer[], port: number) => list.map((server) => `server ${server.name} ${server.address}:${port}`);
    const file = (sections: readonly string[]) => `${sections.join("\n\n")}\n`;

    const api = file([
        // Names the path from before the split by layer on purpose: changing it rewrites every deployed node's copy.
        "# Rendered by components/haproxy-config.ts: change it there, not on the VM. Loaded before ingress.cfg.",
        section("global", [
            ...(systemService
                ? [
                      "log /dev/log local0",
                      "chroot /var/lib/haproxy",
                      "stats socket /run/haproxy/admin.sock mode 660 level admin",
                      "user haproxy",
                      "group haproxy",
                  ]
                : ["log stdout format raw local0"]),
            `maxconn ${input.maxConnections ?? DEFAULT_MAX_CONNECTIONS}`,
        ]),
        section("defaults", [
            "log global",
            "mode tcp",
            "option dontlognull",
            // A connection refused by a dead server is retried on another one.
            "retries 3",
            "option redispatch 1",
            "timeout connect 5s",
            // Kubernetes watches and exec/log streams stay open for a long time.
            "timeout client 1h",
            "timeout server 1h",
            "timeout check 3s",
            "default-server inter 2s fall 2 rise 2",
        ]),
        section("frontend kube-apiserver", [bind(ports.apiServer), "option tcplog", "default_backend kube-apiserver"]),
        section("backend kube-apiserver", [
            // leastconn: watches are long-lived, so spread by open connections rather than turns.
            "balance leastconn",
            "option httpchk",
            "http-check send meth GET uri /healthz",
            "http-check expect status 200",
            ...servers(input.controlPlanes, ports.apiServer).map((line) => `${line} check check-ssl verify none`),
        ]),
        section("frontend stats", [
            `bind 127.0.0.1:${ports.stats}`,
            "mode http",
            "stats enable",
            "stats uri /stats",
            "stats refresh 10s",
            "http-request use-service prometheus-exporter if { path /metrics }",
        ]),
        ...(input.metricsAddress === undefined
            ? []
            : [
                  section("frontend metrics", [
                      `bind ${input.metricsAddress}:${ports.metrics}`,
                      "mode http",
                      "no log",
                      // Only the exporter: the stats page (server names, admin actions) stays on localhost.
                      "http-request use-service prometheus-exporter if { path /metrics }",
                      "http-request deny deny_status 404",
                  ]),
              ]),
    ]);
    const ingress = file([
        "# Rendered by components/haproxy-config.ts: change it there, not on the VM. Loaded after haproxy.cfg (its global and defaults apply).",
        section("frontend ingress-http", [
            bind(ports.http),
            "mode http",
            "option httplog",
            "option forwardfor",
            "timeout client 60s",
            "default_backend ingress-http",
        ]),
        section("backend ingress-http", [
            "mode http",
            "balance roundrobin",
            "timeout server 60s",
            ...servers(input.workers, ports.ingressHttp).map((line) => `${line} check`),
        ]),
        section("frontend ingress-https", [bind(ports.https), "option tcplog", "default_backend ingress-https"]),
        section("backend ingress-https", ["balance roundrobin", ...servers(input.workers, ports.ingressHttps).map((line) => `${line} check`)]),
    ]);
    return { api, ingress };
}
