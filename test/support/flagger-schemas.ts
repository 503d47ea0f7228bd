import * as fs from "fs";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { KubernetesObject, objectId } from "../../components/kubernetes-object";
import { PROJECT_ROOT } from "../fixtures";

/** Flagger's CRDs (chart 1.44.0), shared by every checkout's ../shared; a user's clone has none. */
export const FLAGGER_CRDS = path.resolve(PROJECT_ROOT, "..", "shared", "schemas", "flagger-crds.yaml");

interface CrdVersion {
    readonly name: string;
    readonly schema: { readonly openAPIV3Schema: object };
}
interface Crd {
    readonly spec: { readonly group: string; readonly names: { readonly kind: string }; readonly versions: readonly CrdVersion[] };
}

/** Validators by "apiVersion/kind", one per CRD version's openAPIV3Schema; undefined when ../shared is absent. */
export function loadFlaggerSchemas(): ReadonlyMap<string, ValidateFunction> | undefined {
    if (!fs.existsSync(FLAGGER_CRDS)) return undefined;
    // Kubernetes' own schema dialect: `format: string` and x-kubernetes-* keywords are not JSON Schema.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validators = new Map<string, ValidateFunction>();
    for (const doc of parseAllDocuments(fs.readFileSync(FLAGGER_CRDS, "utf8"))) {
        const crd = doc.toJS() as Crd | null;
        if (!crd) continue;
        for (const version of crd.spec.versions) {
            validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(version.schema.openAPIV3Schema));
        }
    }
    return validators;
}

/** Throws with every schema error of `object`, or if no schema covers its kind. */
export function validateFlaggerObject(schemas: ReadonlyMap<string, ValidateFunction>, object: KubernetesObject): void {
    const validate = schemas.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) throw new Error(`${objectId(object)}: no Flagger schema for ${object.apiVersion} ${object.kind}`);
    if (!validate(object)) throw new Error(`${objectId(object)}: ${JSON.stringify(validate.errors)}`);
}
