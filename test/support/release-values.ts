import { strict as assert } from "assert";
import { parse } from "yaml";
import { Evaluation } from "../../render/evaluation";

/** A parsed YAML document. */
export type Doc = Readonly<Record<string, unknown>>;

/** A release's values as rendered to values/<release>.yaml (asserts the file is there). */
export function releaseValues(evaluation: Evaluation, release: string): Doc {
    const text = evaluation.artifacts[`values/${release}.yaml`];
    assert.ok(text, `values/${release}.yaml is rendered`);
    return parse(text) as Doc;
}
