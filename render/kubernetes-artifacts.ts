import { stringify } from "yaml";
import { renderRuleFile, RuleGroup } from "../components/platform/alert-rules";
import { isRecord, textOr } from "../config/records";
import { HELM_CHART, HELM_RELEASE } from "./chart-releases";
import { RenderedResource } from "./evaluation";

export const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";
/** Typed objects (`kubernetes:core/v1:Secret`...): everything of the provider except its components and releases. */
const TYPED_OBJECT = /^kubernetes:(?!helm\.sh\/|yaml\/)[a-z0-9.]+\/v[0-9a-z]+:[A-Za-z]+$/;

/**
 * YAML 1.1 quoting, as Helm and kubectl read YAML: a string such as 2024-04-01 or "on" stays a
 * string there instead of turning into a timestamp or a boolean. No folding of long lines.
 */
function toYaml(value: unknown): string {
    return stringify(value, { version: "1.1", lineWidth: 0 });
}

function yamlDocuments(objects: readonly unknown[]): string {
    return objects.map(toYaml).join("---\n");
}

function manifestFile(name: string): string {
    return `manifests/${name}.yaml`;
}

/**
 * What the program asks Kubernetes for, as files: each Helm release's final values
 * (`values/<release>.yaml`), every object it applies (`manifests/<resource>.yaml`: ConfigGroups
 * and typed objects), and every PrometheusRule's groups as promtool reads them
 * (`rules/<rule>.yaml`). Derived from the recorded inputs, so no component can forget one;
 * secrets are already "[secret]".
 */
export function kubernetesArtifacts(resources: readonly RenderedResource[]): Record<string, string> {
    const files: Record<string, string> = {};
    const add = (file: string, text: string) => {
        if (file in files) throw new Error(`two Kubernetes resources render to ${file}`);
        files[file] = text;
    };
    for (const resource of resources) {
        const { inputs } = resource;
        if (resource.type === HELM_RELEASE || resource.type === HELM_CHART) {
            add(`values/${textOr(inputs.name, resource.name, `${resource.name}: name`)}.yaml`, toYaml(inputs.values ?? {}));
        } else if (resource.type === CONFIG_GROUP) {
            const objects = Array.isArray(inputs.objs) ? inputs.objs : [];
            add(manifestFile(resource.name), yamlDocuments(objects));
            for (const object of objects.filter(isRecord)) {
                if (object.kind !== "PrometheusRule") continue;
                const metadata = isRecord(object.metadata) ? object.metadata : {};
                const spec = isRecord(object.spec) ? object.spec : {};
                add(`rules/${String(metadata.name)}.yaml`, renderRuleFile(Array.isArray(spec.groups) ? (spec.groups as RuleGroup[]) : []));
            }
        } else if (TYPED_OBJECT.test(resource.type)) {
            add(manifestFile(resource.name), yamlDocuments([inputs]));
        }
    }
    return files;
}
