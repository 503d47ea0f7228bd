import * as fs from "fs";
import * as path from "path";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { SECRET } from "../../render/evaluate";
import { PROJECT_ROOT } from "../fixtures";
import { textOf } from "./text";

/** Checks an object against its real OpenAPI schema (the models' `validate()`); throws on errors. */
export type Validator = (object: KubernetesObject) => void;

/** Kubernetes' own kinds; its groups are the built-in ones (everything else comes from a CRD). */
export const KUBERNETES_MODELS = "kubernetes-models";

/** Every package of models: Kubernetes, and the two CRD sets that publish models of their own. */
export const MODEL_PACKAGES = [KUBERNETES_MODELS, "@kubernetes-models/istio", "@kubernetes-models/prometheus-operator"] as const;

interface ModelClass {
    new (data: KubernetesObject): { validate(): void };
    readonly apiVersion: string;
    readonly kind: string;
}

/**
 * A top-level kind's class: the packages also export every nested type (PodSpec, ...), which
 * have no static apiVersion. Taken as `unknown`: the models' base class ships ESM-only typings,
 * which this CommonJS project cannot resolve, and validate() checks the data at run time anyway.
 */
function isModel(name: string, candidate: unknown): candidate is ModelClass {
    if (typeof candidate !== "function") return false;
    const model = candidate as Partial<ModelClass> & { prototype?: { validate?: unknown } };
    return model.kind === name && typeof model.apiVersion === "string" && typeof model.prototype?.validate === "function";
}

/** "apps/v1" -> ["apps", "v1"]; "v1" (core) -> ["", "v1"]. */
export function groupVersion(apiVersion: string): readonly [group: string, version: string] {
    const slash = apiVersion.lastIndexOf("/");
    return slash < 0 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

/**
 * Whether the API server serves a built-in group version by default. kubernetes-models keeps every
 * version Kubernetes ever published (extensions/v1beta1 Deployment, storage.k8s.io/v1beta1
 * CSIDriver...); the cluster (1.31 or newer) does not: every beta enabled by default before 1.24
 * has been removed, betas since are off by default, and so are alphas. The one left in 1.31,
 * flowcontrol v1beta3, is deprecated and gone in 1.32, so refusing it too is what we want.
 */
export function servedByDefault(version: string): boolean {
    return /^v\d+$/.test(version);
}

/** The group-version entry points ("apps/v1", "v1") a package's exports map declares, served or not. */
function entryPoints(pkg: string): string[] {
    const manifest: unknown = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "node_modules", pkg, "package.json"), "utf8"));
    const exportsMap = isRecord(manifest) && isRecord(manifest.exports) ? manifest.exports : {};
    return Object.keys(exportsMap)
        .filter((key) => /^\.\/(?:[^_./][^/]*\/)?v\d+[a-z0-9]*$/.test(key))
        .map((key) => key.slice(2));
}

/** One schema error as ajv reports it (the models are ajv-compiled too). */
export interface SchemaError {
    readonly instancePath: string;
    readonly keyword: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly message?: string;
}

/** One error as a line: where, what, and the detail ajv keeps in params (the unknown field, the allowed values). */
export function errorLine(error: SchemaError): string {
    const { additionalProperty, allowedValues } = error.params;
    const detail = additionalProperty ?? (Array.isArray(allowedValues) ? allowedValues.join(", ") : undefined);
    return `${error.instancePath || "/"} ${error.message ?? error.keyword}${detail === undefined ? "" : `: ${textOf(detail)}`}`;
}

/**
 * A model error the API server would not make. The models' generator turns every Go struct that
 * embeds TypeMeta into a resource of its own: Prometheus' storage.volumeClaimTemplate must then
 * carry apiVersion "monitoring.coreos.com/v1" and kind "EmbeddedPersistentVolumeClaim", which
 * the CRD does not ask for (nor would the operator accept). Below the root, apiVersion and kind
 * are left to the CRD's own check.
 */
function generatorArtifact(error: SchemaError): boolean {
    const missing = error.keyword === "required" && error.instancePath !== "" && ["apiVersion", "kind"].includes(String(error.params.missingProperty));
    return missing || (error.keyword === "enum" && /^\/.+\/(?:apiVersion|kind)$/.test(error.instancePath));
}

/** ajv's `errors` on a thrown validation error (anything else is rethrown as it is). */
function isErrorList(errors: unknown): errors is readonly SchemaError[] {
    return Array.isArray(errors);
}

function modelValidator(model: ModelClass): Validator {
    return (object) => {
        try {
            new model(object).validate();
        } catch (error) {
            const errors = (error as { errors?: unknown }).errors;
            if (!isErrorList(errors)) throw error;
            const real = errors.filter((e) => !generatorArtifact(e));
            if (real.length > 0) throw new Error(`${objectId(object)}: ${real.map(errorLine).join("; ")}`, { cause: error });
        }
    };
}

/** Every kind of one package, by "apiVersion/kind". The packages are ESM-only: imported dynamically. */
async function packageModels(pkg: string): Promise<[string, Validator][]> {
    const found: [string, Validator][] = [];
    const served = entryPoints(pkg).filter((entry) => pkg !== KUBERNETES_MODELS || servedByDefault(groupVersion(entry)[1]));
    for (const entry of served) {
        const exported: unknown = await import(`${pkg}/${entry}`);
        for (const [name, candidate] of Object.entries(isRecord(exported) ? exported : {})) {
            if (isModel(name, candidate)) found.push([`${candidate.apiVersion}/${candidate.kind}`, modelValidator(candidate)]);
        }
    }
    if (found.length === 0) throw new Error(`${pkg}: no models found (has its layout changed?)`);
    return found;
}

let loaded: Promise<ReadonlyMap<string, Validator>> | undefined;

/**
 * A validator for every kind the model packages define, found from their exports maps (no list
 * kept here): Kubernetes' GA kinds, and every version of the Istio and Prometheus operator
 * kinds. Loaded once per run (about two seconds).
 */
export function loadSchemas(): Promise<ReadonlyMap<string, Validator>> {
    loaded ??= Promise.all(MODEL_PACKAGES.map(packageModels)).then((models) => new Map(models.flat()));
    return loaded;
}

let builtIn: ReadonlySet<string> | undefined;

/** The built-in API groups ("" for core): every group kubernetes-models covers. */
export function builtInGroups(): ReadonlySet<string> {
    builtIn ??= new Set(entryPoints(KUBERNETES_MODELS).map((entry) => groupVersion(entry)[0]));
    return builtIn;
}

/** Validates against the object's own apiVersion and kind; a kind without a schema is an error, never a skip. */
export function validateObject(schemas: ReadonlyMap<string, Validator>, object: KubernetesObject): void {
    const validate = schemas.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) {
        const [group, version] = groupVersion(object.apiVersion);
        const why =
            builtInGroups().has(group) && !servedByDefault(version)
                ? ` (a ${version} API: the cluster serves Kubernetes' own kinds at their GA versions only)`
                : "";
        throw new Error(`${objectId(object)}: no schema for ${object.apiVersion} ${object.kind}${why}`);
    }
    validate(object);
}

/**
 * The program's manifests show a redacted map as "[secret]"; a map of one valid (base64) string
 * stands in for it so the rest of the object can be validated.
 */
export function withRedactedMaps(object: KubernetesObject): KubernetesObject {
    const entries = Object.entries(object).map(([key, value]) => [
        key,
        value === SECRET && (key === "data" || key === "stringData") ? { redacted: "eA==" } : value,
    ]);
    return Object.fromEntries(entries) as KubernetesObject;
}
