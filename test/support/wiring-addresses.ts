import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { PlacedObject } from "./platform-render";
import { Address, addressesInSite, FoundAddress, knownNamespaces, PlacedValues, scanSites } from "./wiring-scan";

/**
 * Check A: every in-cluster address a release or manifest is given names a Service that exists
 * (rendered by a release or the program, or made at run time by an operator from an object that
 * is rendered) in that namespace, with that port.
 */

export interface ServicePort {
    readonly port: number;
    readonly name?: string;
}

/** A Service as a caller sees it: where it is, its ports, and who makes it. */
export interface KnownService {
    readonly namespace: string;
    readonly name: string;
    readonly ports: readonly ServicePort[];
    /** "<release>" for a rendered Service, "runtime: <why>" for one an operator creates. */
    readonly origin: string;
    /** For a run-time Service: the rendered object it is made for ("<Kind>/<ns>/<name>"). */
    readonly owner?: string;
}

/** Services an operator creates at run time for an object that is rendered (named in the test, with why). */
export interface RuntimeServiceRule {
    readonly kind: string;
    readonly why: string;
    /** The Services, in the object's namespace unless one says another. */
    readonly services: (object: KubernetesObject) => readonly { readonly name: string; readonly namespace?: string; readonly ports: readonly ServicePort[] }[];
}

export interface Resolution {
    readonly address: Address;
    /** Where the address is written (one entry per site and field). */
    readonly uses: readonly FoundAddress[];
    /** "Service <ns>/<name> port <p> (<origin>)" when it resolves. */
    readonly target?: string;
    readonly problem?: string;
}

function servicePorts(object: KubernetesObject): ServicePort[] {
    const spec = isRecord(object.spec) ? object.spec : {};
    const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [];
    return ports.map((port) => ({ port: Number(port.port), ...(typeof port.name === "string" ? { name: port.name } : {}) }));
}

/** Every Service the objects render, plus those the runtime rules derive from rendered objects. */
export function knownServices(objects: readonly PlacedObject[], rules: readonly RuntimeServiceRule[]): KnownService[] {
    const rendered = objects
        .filter(({ object }) => object.kind === "Service")
        .map(({ source, object }) => ({
            namespace: object.metadata.namespace ?? "default",
            name: object.metadata.name,
            ports: servicePorts(object),
            origin: source,
        }));
    const runtime = objects.flatMap(({ object }) =>
        rules
            .filter((rule) => rule.kind === object.kind)
            .flatMap((rule) =>
                rule.services(object).map((service) => ({
                    ...service,
                    namespace: service.namespace ?? object.metadata.namespace ?? "default",
                    origin: `runtime: ${rule.why} (${objectId(object)})`,
                    owner: objectId(object),
                })),
            ),
    );
    return [...rendered, ...runtime];
}

/** The port a caller dials: the explicit one, or the scheme's (http 80, https 443); gRPC has none. */
export function effectivePort(address: Address): number | undefined {
    if (address.port !== undefined) return address.port;
    if (address.scheme === "http") return 80;
    if (address.scheme === "https") return 443;
    return undefined;
}

export function resolveAddress(address: Address, services: readonly KnownService[]): { target?: string; problem?: string } {
    const port = effectivePort(address);
    if (port === undefined) return { problem: `${address.text}: no port (only http and https imply one)` };
    const candidates = services.filter((service) => service.namespace === address.namespace && service.name === address.service);
    if (candidates.length === 0) return { problem: `${address.text}: no Service ${address.namespace}/${address.service} is rendered or made at run time` };
    const match = candidates.find((service) => service.ports.some((servicePort) => servicePort.port === port));
    if (!match) {
        const offered = candidates.flatMap((service) => service.ports.map((servicePort) => servicePort.port));
        return { problem: `${address.text}: Service ${address.namespace}/${address.service} has port(s) ${offered.join(", ") || "none"}, not ${port}` };
    }
    const portName = match.ports.find((servicePort) => servicePort.port === port)?.name;
    return { target: `Service ${match.namespace}/${match.name}:${port}${portName ? ` (${portName})` : ""} from ${match.origin}` };
}

/** The Service and port an address reaches: what groups the same address written in many places. */
function addressKey(address: Address): string {
    return `${address.service}.${address.namespace}:${effectivePort(address) ?? "?"}`;
}

/** Every in-cluster address in the objects and values, grouped by the Service and port it reaches, each resolved. */
export function resolveAddresses(objects: readonly PlacedObject[], values: readonly PlacedValues[], rules: readonly RuntimeServiceRule[]): Resolution[] {
    const namespaces = knownNamespaces(objects, values);
    const services = knownServices(objects, rules);
    const groups = new Map<string, FoundAddress[]>();
    for (const site of scanSites(objects, values)) {
        for (const found of addressesInSite(site, namespaces)) {
            const key = addressKey(found.address);
            groups.set(key, [...(groups.get(key) ?? []), found]);
        }
    }
    return [...groups.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, uses]) => {
            const address = uses[0].address;
            return { address, uses, ...resolveAddress(address, services) };
        });
}

/** One line per address: what it reaches, or why it does not, and where it is written. */
export function describeResolution(resolution: Resolution): string {
    const sites = [...new Set(resolution.uses.map((use) => use.site))];
    const outcome = resolution.target ?? `UNRESOLVED: ${resolution.problem}`;
    return `${addressKey(resolution.address)} -> ${outcome}\n          given to: ${sites.join("; ")}`;
}
