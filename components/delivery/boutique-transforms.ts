/**
 * Online Boutique's chart, made to live with Flagger (../shared/reference/delivery.md, the six
 * collisions), as pure rewrites of each object the chart renders. Pulumi applies them to the
 * chart's objects (`transforms` on the helm.v4.Chart); tests apply them to the chart's shapes.
 *
 * The key idea: Flagger's primary pods keep every pod label but `app` (frontend-primary), so
 * every selector that meant "the frontend" is moved from `app: frontend` to a label both the
 * canary and the primary carry, SERVICE_LABEL.
 */

import type { ResourceTransform } from "@pulumi/pulumi";
import { listAt as list, mappingAt as at } from "../shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { OTEL_COLLECTOR, OTEL_COLLECTOR_HOST } from "../platform/otel-collector-values";

/** On every Deployment's pods: which service they are, whatever Flagger renames `app` to. */
export const SERVICE_LABEL = "boutique.dev/service";

export interface BoutiqueTransformOptions {
    /** The Deployment Flagger releases. */
    readonly target: string;
    /** Full image references by Deployment name (forked images); others keep the chart's. */
    readonly images: Readonly<Record<string, string>>;
    /** Who else may call the frontend: mesh principals and namespaces (the ingress gateway, the loadtester). */
    readonly frontendCallers: {
        readonly principals: readonly string[];
        readonly namespaces: readonly string[];
        readonly podLabels: readonly Readonly<Record<string, string>>[];
    };
}

type Json = Record<string, unknown>;

/** A copy of `record` without `key` (the other keys in their order). */
function withoutKey(record: Json, key: string): Json {
    return Object.fromEntries(Object.entries(record).filter(([name]) => name !== key));
}

/** `{app: <target>}` (exactly) becomes `{SERVICE_LABEL: <target>}`; anything else is kept. */
function retarget(labels: unknown, target: string): unknown {
    return isRecord(labels) && Object.keys(labels).length === 1 && labels.app === target ? { [SERVICE_LABEL]: target } : labels;
}

function deployment(props: Json, options: BoutiqueTransformOptions): Json {
    const metadata = at(props, "metadata");
    const name = String(metadata.name);
    const spec = at(props, "spec");
    const template = at(spec, "template");
    const podMetadata = at(template, "metadata");
    const podSpec = at(template, "spec");
    const image = options.images[name];
    const containers = list(podSpec, "containers").map((container) =>
        image && isRecord(container) && container.name === "server" ? { ...container, image } : container,
    );
    // Flagger scales the target and its primary: a replicas field here would reset them on every apply.
    return {
        ...props,
        spec: {
            ...(name === options.target ? withoutKey(spec, "replicas") : spec),
            template: {
                ...template,
                metadata: { ...podMetadata, labels: { ...at(podMetadata, "labels"), [SERVICE_LABEL]: name } },
                spec: { ...podSpec, containers },
            },
        },
    };
}

function networkPolicy(props: Json, options: BoutiqueTransformOptions): Json {
    const spec = at(props, "spec");
    const podSelector = at(spec, "podSelector");
    const isTarget = at(podSelector, "matchLabels").app === options.target && Object.keys(at(podSelector, "matchLabels")).length === 1;
    const ingress = list(spec, "ingress").map((rule) => {
        if (!isRecord(rule)) return rule;
        const from = list(rule, "from").map((peer) =>
            isRecord(peer) && isRecord(peer.podSelector)
                ? { ...peer, podSelector: { ...peer.podSelector, matchLabels: retarget(peer.podSelector.matchLabels, options.target) } }
                : peer,
        );
        const callers = isTarget
            ? [
                  ...options.frontendCallers.namespaces.map((namespace) => ({
                      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
                  })),
                  ...options.frontendCallers.podLabels.map((labels) => ({ podSelector: { matchLabels: { ...labels } } })),
              ]
            : [];
        return Array.isArray(rule.from) ? { ...rule, from: [...from, ...callers] } : rule;
    });
    return {
        ...props,
        spec: {
            ...spec,
            podSelector: { ...podSelector, matchLabels: retarget(podSelector.matchLabels, options.target) },
            ...(Array.isArray(spec.ingress) ? { ingress } : {}),
        },
    };
}

function authorizationPolicy(props: Json, options: BoutiqueTransformOptions): Json {
    const spec = at(props, "spec");
    const selector = at(spec, "selector");
    if (retarget(selector.matchLabels, options.target) === selector.matchLabels) return props;
    const rules = list(spec, "rules").map((rule) => {
        if (!isRecord(rule) || !Array.isArray(rule.from)) return rule;
        const from = list(rule, "from").map((entry) => {
            if (!isRecord(entry)) return entry;
            const source = at(entry, "source");
            return Array.isArray(source.principals)
                ? { ...entry, source: { ...source, principals: [...list(source, "principals"), ...options.frontendCallers.principals] } }
                : entry;
        });
        return { ...rule, from };
    });
    return { ...props, spec: { ...spec, selector: { ...selector, matchLabels: retarget(selector.matchLabels, options.target) }, rules } };
}

/**
 * Hosts every shop Sidecar must import besides the chart's: istiod's tracing provider (the
 * platform's collector). Envoy exports spans through an outbound cluster that exists only for
 * imported hosts, so without it every sidecar drops its spans (istio/istio#53701); the chart
 * adds a collector only when it deploys its own. Without the tracing layer the host matches no
 * Service, which Istio ignores.
 */
export const SIDECAR_EXTRA_EGRESS = [`${OTEL_COLLECTOR.namespace}/${OTEL_COLLECTOR_HOST}`] as const;

function sidecar(props: Json, options: BoutiqueTransformOptions): Json {
    const spec = at(props, "spec");
    const workloadSelector = at(spec, "workloadSelector");
    const egress = list(spec, "egress").map((listener) => {
        const hosts = list(listener, "hosts");
        return isRecord(listener) && !isRecord(listener.port)
            ? { ...listener, hosts: [...hosts, ...SIDECAR_EXTRA_EGRESS.filter((host) => !hosts.includes(host))] }
            : listener;
    });
    return {
        ...props,
        spec: {
            ...spec,
            workloadSelector: { ...workloadSelector, labels: retarget(workloadSelector.labels, options.target) },
            ...(Array.isArray(spec.egress) ? { egress } : {}),
        },
    };
}

/**
 * Flagger points the target's Service at the primary; the chart says the same, so neither undoes
 * the other. The primary only exists once the Canary is applied, after the chart: Pulumi must not
 * wait for the Service's endpoints (it would wait for itself).
 */
function service(props: Json, options: BoutiqueTransformOptions): Json {
    const metadata = at(props, "metadata");
    if (String(metadata.name) !== options.target) return props;
    return {
        ...props,
        metadata: { ...metadata, annotations: { ...at(metadata, "annotations"), "pulumi.com/skipAwait": "true" } },
        spec: { ...at(props, "spec"), selector: { app: `${options.target}-primary` } },
    };
}

/** One rendered object of the chart, rewritten; objects of other kinds come back unchanged. */
export function transformBoutiqueObject(props: Json, options: BoutiqueTransformOptions): Json {
    switch (props.kind) {
        case "Deployment":
            return deployment(props, options);
        case "NetworkPolicy":
            return networkPolicy(props, options);
        case "AuthorizationPolicy":
            return authorizationPolicy(props, options);
        case "Sidecar":
            return sidecar(props, options);
        case "Service":
            return service(props, options);
        default:
            return props;
    }
}

/** The rewrite as a Pulumi transform over the chart's objects (each child resource's props is one object). */
export function boutiqueChartTransform(options: BoutiqueTransformOptions): ResourceTransform {
    return (child) => {
        const props = child.props;
        return typeof props.kind === "string" ? { props: transformBoutiqueObject(props, options), opts: child.opts } : undefined;
    };
}
