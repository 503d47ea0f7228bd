import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { KubernetesObject } from "../../components/shared/kubernetes-object";
import { PROJECT_ROOT } from "../fixtures";
import { Crd, CrdSchemas, isCrd } from "./crd-schemas";

/** Flagger's CRDs (chart 1.44.0), shared by every checkout's ../shared; a user's clone has none. */
export const FLAGGER_CRDS = path.resolve(PROJECT_ROOT, "..", "shared", "schemas", "flagger-crds.yaml");

/** Validators for Flagger's kinds, with the API server's semantics (crd-schemas.ts); undefined when ../shared is absent. */
export function loadFlaggerSchemas(): CrdSchemas | undefined {
    if (!fs.existsSync(FLAGGER_CRDS)) return undefined;
    const objects = parseAllDocuments(fs.readFileSync(FLAGGER_CRDS, "utf8")).map((doc) => doc.toJS() as KubernetesObject | null);
    return new CrdSchemas(objects.filter((object): object is Crd => object !== null && isCrd(object)));
}

/** Throws with every schema error of `object`, or if no Flagger CRD covers its kind. */
export function validateFlaggerObject(schemas: CrdSchemas, object: KubernetesObject): void {
    schemas.validate(object);
}
