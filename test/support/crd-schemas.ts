import { isIPv4, isIPv6 } from "net";
import Ajv, { ValidateFunction } from "ajv";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { errorLine, groupVersion } from "./kubernetes-schemas";

/**
 * Custom objects against the CRDs that define them (`spec.versions[].schema.openAPIV3Schema`),
 * checked by ajv the way the API server reads a structural schema. Not checked: CEL rules
 * (`x-kubernetes-validations`) and list-map key uniqueness, which need an evaluator ajv lacks.
 */

type Schema = Readonly<Record<string, unknown>>;

interface CrdVersion {
    readonly name: string;
    readonly served: boolean;
    readonly schema?: { readonly openAPIV3Schema?: Schema };
}

export interface Crd extends KubernetesObject {
    readonly spec: { readonly group: string; readonly names: { readonly kind: string }; readonly versions: readonly CrdVersion[] };
}

export function isCrd(object: KubernetesObject): object is Crd {
    return object.apiVersion === "apiextensions.k8s.io/v1" && object.kind === "CustomResourceDefinition";
}

const JUNCTORS = ["anyOf", "oneOf", "allOf"] as const;

/** The API server drops a null field whose schema is not nullable (pruning) instead of rejecting it. */
function nullable(schema: Schema): Schema {
    return typeof schema.type === "string" && schema.nullable === undefined ? { ...schema, nullable: true } : schema;
}

const mapSchemas = (schemas: Schema, f: (schema: Schema) => Schema): Schema =>
    Object.fromEntries(Object.entries(schemas).map(([key, value]) => [key, isRecord(value) ? f(value) : value]));

/**
 * `schema` with the API server's semantics spelt out for ajv. A field the schema does not declare
 * is pruned (silently dropped: a value that never takes effect) unless the object keeps unknown
 * fields, so here it is an error. `closed` is false inside anyOf/oneOf/allOf/not, where a
 * structural schema may only add value checks to fields declared outside them.
 */
function dialect(schema: Schema, closed: boolean): Schema {
    const out: Record<string, unknown> = { ...schema };
    if (isRecord(schema.properties)) out.properties = mapSchemas(schema.properties, (child) => nullable(dialect(child, closed)));
    if (isRecord(schema.items)) out.items = dialect(schema.items, closed);
    if (isRecord(schema.additionalProperties)) out.additionalProperties = nullable(dialect(schema.additionalProperties, closed));
    for (const junctor of JUNCTORS) {
        const branches = schema[junctor];
        if (Array.isArray(branches)) out[junctor] = branches.map((branch: unknown) => (isRecord(branch) ? dialect(branch, false) : branch));
    }
    if (isRecord(schema.not)) out.not = dialect(schema.not, false);
    // An embedded object (a pod template in a CR, say) has apiVersion, kind and metadata implicitly.
    if (schema["x-kubernetes-embedded-resource"] === true)
        out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...(out.properties as Schema | undefined) };
    const keepsUnknown = schema["x-kubernetes-preserve-unknown-fields"] === true || schema.additionalProperties !== undefined;
    if (closed && schema.type === "object" && !keepsUnknown) out.additionalProperties = false;
    return out;
}

/** The root: apiVersion and kind are always there; metadata is ObjectMeta, which the API server checks itself and never prunes by the CRD. */
function rootDialect(schema: Schema): Schema {
    const { metadata, ...fields } = isRecord(schema.properties) ? schema.properties : {};
    const out = dialect({ ...schema, properties: { apiVersion: { type: "string" }, kind: { type: "string" }, ...fields } }, true);
    return { ...out, properties: { ...(out.properties as Schema), metadata: isRecord(metadata) ? metadata : { type: "object" } } };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Formats the API server checks (kube-openapi's strfmt registry) with one plain meaning. The rest
 * it checks (email, hostname, uri, isbn...) are in none of the charts' CRDs and pass unchecked
 * here, as do the ones it ignores: numeric (int32, int64, double) and unknown ("url", "string").
 */
const KUBERNETES_FORMATS: Readonly<Record<string, RegExp | ((value: string) => boolean)>> = {
    byte: BASE64,
    date: /^\d{4}-\d{2}-\d{2}$/,
    "date-time": RFC3339,
    datetime: RFC3339,
    ipv4: isIPv4,
    ipv6: isIPv6,
    cidr: (value) => {
        const [ip, prefix, ...rest] = value.split("/");
        const bits = isIPv4(ip ?? "") ? 32 : isIPv6(ip ?? "") ? 128 : -1;
        return rest.length === 0 && /^\d{1,3}$/.test(prefix ?? "") && Number(prefix) <= bits;
    },
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

/** The index of the `]` closing the character class that opens at `start`. */
function classEnd(pattern: string, start: number): number {
    let i = start + 1;
    if (pattern[i] === "^") i += 1;
    if (pattern[i] === "]") i += 1;
    for (; i < pattern.length; i++) {
        if (pattern[i] === "\\") i += 1;
        else if (pattern[i] === "]") return i;
    }
    throw new Error(`pattern ${pattern}: unclosed [`);
}

/**
 * A CRD's `pattern` is Go (RE2) syntax. JavaScript lacks RE2's inline `(?i)`, which makes the
 * rest of its group case-insensitive (prometheus-operator: `^(?i)(abort|warn)?$`): rewritten
 * exactly, each letter in its scope becoming [xX]. Whatever else JavaScript cannot compile still
 * fails, loudly, as an invalid regular expression.
 */
export function fromGoPattern(pattern: string): string {
    let out = "";
    let depth = 0;
    let foldFrom: number | undefined; // the group depth at which (?i) was set
    for (let i = 0; i < pattern.length; i++) {
        const rest = pattern.slice(i);
        const char = pattern.charAt(i);
        if (rest.startsWith("(?i)")) {
            foldFrom ??= depth;
            i += 3;
        } else if (char === "\\") {
            out += pattern.slice(i, i + 2);
            i += 1;
        } else if (char === "[") {
            const end = classEnd(pattern, i);
            const letters = /[A-Za-z]/.test(pattern.slice(i, end + 1).replace(/\\./g, ""));
            if (foldFrom !== undefined && letters) throw new Error(`pattern ${pattern}: a character class of letters under (?i) is not translated`);
            out += pattern.slice(i, end + 1);
            i = end;
        } else if (char === "(") {
            // The group's own syntax, (?:, (?=, (?P<name>, keeps its letters.
            const head = /^\((?:\?(?:P?<[^>]*>|[:=!]))?/.exec(rest)?.[0] ?? "(";
            out += head;
            i += head.length - 1;
            depth += 1;
        } else if (char === ")") {
            depth -= 1;
            if (foldFrom !== undefined && depth < foldFrom) foldFrom = undefined;
            out += char;
        } else out += foldFrom !== undefined && /[A-Za-z]/.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char;
    }
    return out;
}

const goRegExp = Object.assign((pattern: string, flags: string) => new RegExp(fromGoPattern(pattern), flags), { code: "fromGoPattern" });

function formatsIn(schema: unknown, found = new Set<string>()): Set<string> {
    if (Array.isArray(schema)) for (const item of schema) formatsIn(item, found);
    else if (isRecord(schema)) {
        if (typeof schema.format === "string") found.add(schema.format);
        for (const [key, value] of Object.entries(schema)) if (key !== "enum" && key !== "default" && key !== "example") formatsIn(value, found);
    }
    return found;
}

function newAjv(): Ajv {
    const ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: goRegExp } });
    for (const [name, check] of Object.entries(KUBERNETES_FORMATS)) ajv.addFormat(name, check);
    // Usually beside anyOf [integer, string], but a schema may give the marker alone.
    ajv.addKeyword({
        keyword: "x-kubernetes-int-or-string",
        schemaType: "boolean",
        errors: false,
        validate: (marked: boolean, data: unknown) => !marked || typeof data === "string" || Number.isInteger(data),
    });
    return ajv;
}

interface Entry {
    readonly crd: string;
    readonly served: boolean;
    readonly schema?: Schema;
    compiled?: ValidateFunction;
}

/** Validators by "apiVersion/kind" for every version of the given CRDs, compiled on first use. */
export class CrdSchemas {
    private readonly ajv = newAjv();
    private readonly entries = new Map<string, Entry>();
    /** The API groups these CRDs define. */
    readonly groups: ReadonlySet<string>;

    constructor(crds: readonly Crd[]) {
        for (const crd of crds) {
            for (const version of crd.spec.versions) {
                const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
                this.entries.set(key, { crd: crd.metadata.name, served: version.served, schema: version.schema?.openAPIV3Schema });
            }
        }
        this.groups = new Set(crds.map((crd) => crd.spec.group));
    }

    has(object: Pick<KubernetesObject, "apiVersion" | "kind">): boolean {
        return this.entries.has(`${object.apiVersion}/${object.kind}`);
    }

    get size(): number {
        return this.entries.size;
    }

    /** Throws with every schema error, or if no CRD here serves the object's version and kind. */
    validate(object: KubernetesObject): void {
        const entry = this.entries.get(`${object.apiVersion}/${object.kind}`);
        if (!entry) {
            const [group] = groupVersion(object.apiVersion);
            const why = this.groups.has(group) ? `the ${group} CRDs define no ${object.kind} at ${object.apiVersion}` : `no CRD defines the ${group} group`;
            throw new Error(`${objectId(object)}: no schema for ${object.apiVersion} ${object.kind} (${why})`);
        }
        if (!entry.served) throw new Error(`${objectId(object)}: ${entry.crd} does not serve ${object.apiVersion}`);
        const validate = this.compile(entry);
        if (!validate(object)) throw new Error(`${objectId(object)} (CRD ${entry.crd}): ${(validate.errors ?? []).map(errorLine).join("; ")}`);
    }

    private compile(entry: Entry): ValidateFunction {
        if (entry.compiled) return entry.compiled;
        if (!entry.schema) throw new Error(`${entry.crd} has no openAPIV3Schema`);
        for (const format of formatsIn(entry.schema)) if (!this.ajv.formats[format]) this.ajv.addFormat(format, true);
        entry.compiled = this.ajv.compile(rootDialect(entry.schema));
        return entry.compiled;
    }
}
