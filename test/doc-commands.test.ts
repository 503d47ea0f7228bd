import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseBootstrapConfig } from "../config/bootstrap-config";
import { CONFIG_KEYS, parseStackConfig, PROJECT, StackConfigError, UNDECLARED_KEYS } from "../config/stack-config";
import { readProjectFile } from "../config/stack-files";
import { Evaluation } from "../render/evaluation";
import { Category, isPlaceholder, Reference, referencesOf, snippetsOf } from "./support/doc-commands";
import { evaluateBootstrap, evaluateDev } from "./support/program";
import { devConfigMap, DOCS, PROJECT_ROOT } from "./fixtures";

/**
 * Every command in README.md and docs/*.md that names something of ours is checked against the
 * code. Skipped by rule, never by a list: names with a placeholder (<x>, …, $VAR, a substitution);
 * gcloud, kubectl and other tools' own names (only pulumi, npm and our units/paths are read);
 * systemd units and node paths without "boutique" in them (the OS's and Kubernetes' own, except
 * /usr/local/sbin, where only our scripts live); paths whose first segment is not an entry of the
 * repository; flags of npm scripts that are not our tsx CLIs with parseArgs options.
 */

/** Repository files, tracked or new (not ignored): what a doc's relative path must name. */
const REPO_FILES = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8" })
    .split("\n")
    .filter((file) => file !== "" && fs.existsSync(path.join(PROJECT_ROOT, file)));
const TOP_LEVEL = new Set([...REPO_FILES.map((file) => file.split("/")[0]), "out"]);

function globRegExp(pattern: string): RegExp {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*\*|\*/g, (stars) => (stars === "**" ? ".*" : "[^/]*"));
    return new RegExp(`^${escaped}$`);
}

function existsInRepo(file: string, render: Evaluation): boolean {
    const [first, stack, ...rest] = file.split("/");
    if (first === "out") {
        // out/<stack>/... is what `npm run render` writes: resources.json and the render's artifacts.
        const inside = rest.join("/");
        return (
            stack !== undefined &&
            (inside === "" ||
                inside === "resources.json" ||
                Object.keys(render.artifacts).some((artifact) => artifact === inside || artifact.startsWith(inside.endsWith("/") ? inside : `${inside}/`)))
        );
    }
    const directory = file.endsWith("/") ? file : `${file}/`;
    const glob = globRegExp(file);
    return REPO_FILES.some((repoFile) => repoFile === file || repoFile.startsWith(directory) || glob.test(repoFile));
}

/** The URN of every rendered resource: its ancestors' types joined by $, then its name. */
function urnsOf(render: Evaluation, stack: string, project: string): string[] {
    const byName = new Map(render.resources.map((resource) => [resource.name, resource]));
    return render.resources
        .filter((resource) => resource.type !== "pulumi:pulumi:Stack")
        .map((resource) => {
            const types: string[] = [];
            for (
                let at: typeof resource | undefined = resource;
                at !== undefined && at.type !== "pulumi:pulumi:Stack";
                at = at.parent ? byName.get(at.parent) : undefined
            )
                types.unshift(at.type);
            return `urn:pulumi:${stack}::${project}::${types.join("$")}::${resource.name}`;
        });
}

/** A --target pattern as a regular expression: placeholders, substitutions, $UPPER variables, … and * match anything ($type stays). */
function targetRegExp(target: string): RegExp {
    const wildcard = "\u0000";
    const marked = target.replace(/<[^>]*>|\$SUBST|\$\{[A-Za-z_]+\}|\$[A-Z_]+\b|…|\.\.\.|\*+/g, wildcard);
    const escaped = marked
        .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
        .split(wildcard)
        .join(".*");
    return new RegExp(`${target.startsWith("urn:") ? "^" : ""}${escaped}$`);
}

/** The flags a tsx CLI's parseArgs declares, read from its source; undefined when it is not one. */
function cliFlags(script: string, scripts: Record<string, string>): string[] | undefined {
    const file = /^tsx (\S+\.ts)$/.exec(scripts[script] ?? "")?.[1];
    if (file === undefined) return undefined;
    const source = fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
    // Option tables spread in from another file (`...STACK_OPTIONS`) are read from where they are imported.
    const spread = [...source.matchAll(/\.\.\.([A-Z][A-Z0-9_]*)\b/g)].flatMap(([, name]) => {
        const from = new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from "(\\.[^"]+)"`).exec(source)?.[1];
        return from === undefined ? [] : [fs.readFileSync(path.join(PROJECT_ROOT, path.dirname(file), `${from}.ts`), "utf8")];
    });
    const names = [source, ...spread].flatMap((text) =>
        [...text.matchAll(/["']?([a-z][a-z0-9-]*)["']?\s*:\s*\{\s*type:\s*"(?:string|boolean)"/g)].map((match) => `--${match[1]}`),
    );
    return names.length > 0 && source.includes("parseArgs(") ? names : undefined;
}

/**
 * A rendered script with its own variables expanded (LOG_DIR="$ROOT/var/log/boutique", then
 * "$LOG_DIR/kubeadm-join.log"), so a path it builds from them reads as the node sees it; the
 * tests' ${BOUTIQUE_TEST_*:-} prefixes are empty in production.
 */
function withVariablesExpanded(script: string): string {
    const values = new Map<string, string>();
    for (const match of script.matchAll(/^\s*(?:readonly |local |export )?([A-Z][A-Z0-9_]*)="?([^"\n]*)"?\s*$/gm)) values.set(match[1], match[2]);
    let text = script;
    for (let pass = 0; pass < 3; pass++) {
        text = text.replace(/\$\{BOUTIQUE_TEST_[A-Z_]*:-\}/g, "").replace(/\$\{?([A-Z][A-Z0-9_]*)\}?/g, (whole, name: string) => values.get(name) ?? whole);
    }
    return text;
}

/** Sets `field` (".a.b[0]") of a JSON value to `value`, creating objects and lists on the way. */
function withField(json: unknown, field: string, value: unknown): unknown {
    const steps = [...field.matchAll(/\.([^.[]+)|\[([^\]]*)\]/g)].map((match) =>
        match[1] !== undefined ? match[1] : Number(/^[0-9]+$/.test(match[2]) ? match[2] : 0),
    );
    const root: unknown = json ?? (typeof steps[0] === "number" ? [] : {});
    let node = root as Record<string | number, unknown>;
    steps.forEach((step, at) => {
        if (at === steps.length - 1) node[step] = value;
        else node = (node[step] ??= typeof steps[at + 1] === "number" ? [] : {}) as Record<string | number, unknown>;
    });
    return root;
}

type ProblemOf = (ref: Reference) => string | undefined;

/** Why a reference does not hold, undefined when it does, "skip" when a rule leaves it out. */
function checkerFor(render: Evaluation, bootstrap: Evaluation): ProblemOf {
    const project = readProjectFile(PROJECT_ROOT);
    const scripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const platformKeys = new Set([...CONFIG_KEYS, ...Object.keys(UNDECLARED_KEYS).map((key) => `${PROJECT}:${key}`)]);
    const bootstrapKeys = new Set<string>();
    try {
        parseBootstrapConfig({});
    } catch (error) {
        // Given nothing, the bootstrap's decoder names every key it reads.
        for (const problem of (error as StackConfigError).problems) bootstrapKeys.add(problem.split(" ")[0]);
    }
    const qualify = (key: string, namespace: string) => (key.includes(":") ? key : `${namespace}:${key}`);
    const isKey = (ref: Reference) =>
        ref.where.project === "bootstrap" ? bootstrapKeys.has(qualify(ref.name, "boutique-ci")) : platformKeys.has(qualify(ref.name, PROJECT));
    const nodeText = Object.values(render.artifacts).map(withVariablesExpanded).join("\n");
    const urns = urnsOf(render, "dev", PROJECT);

    return (ref: Reference): string | undefined => {
        if ((isPlaceholder(ref.name) || isPlaceholder(ref.field ?? "")) && ref.category !== "target" && ref.category !== "file") return "skip";
        switch (ref.category) {
            case "output": {
                const outputs = ref.where.project === "bootstrap" ? bootstrap.stackOutputs : render.stackOutputs;
                return ref.name in outputs ? undefined : `no stack output ${ref.name} (${ref.where.project} has ${Object.keys(outputs).sort().join(", ")})`;
            }
            case "config-key":
                return isKey(ref) ? undefined : `no config key ${ref.name} in the ${ref.where.project} program`;
            case "config-path": {
                if (!isKey(ref)) return `no config key ${ref.name} in the ${ref.where.project} program`;
                if (ref.where.project === "bootstrap") return undefined;
                const fullKey = qualify(ref.name, PROJECT);
                if (ref.field?.startsWith("[")) return project.config[ref.name]?.type === "array" ? undefined : `${ref.name} is not a list`;
                const config = devConfigMap();
                const current = config[fullKey] === undefined ? undefined : (JSON.parse(config[fullKey]) as unknown);
                const value = ref.value === undefined || isPlaceholder(ref.value) ? "probe" : ref.value;
                try {
                    parseStackConfig({ ...config, [fullKey]: JSON.stringify(withField(current, ref.field ?? "", value)) });
                } catch (error) {
                    const unknown = (error as StackConfigError).problems?.find((problem) => /unknown field|which is not one of/.test(problem));
                    if (unknown !== undefined) return `--path ${ref.name}${ref.field}: ${unknown}`;
                }
                return undefined;
            }
            case "npm-script":
                return ref.name in scripts ? undefined : `no npm script ${ref.name}`;
            case "cli-flag": {
                const flags = cliFlags(ref.script ?? "", scripts);
                if (flags === undefined) return "skip";
                return flags.includes(ref.name) ? undefined : `npm run ${ref.script} has no ${ref.name} (its flags: ${flags.join(" ")})`;
            }
            case "file":
                if (!TOP_LEVEL.has(ref.name.split("/")[0])) return "skip";
                if (/[<>{}]/.test(ref.name)) return "skip";
                return existsInRepo(ref.name, render) ? undefined : `no file ${ref.name}`;
            case "target":
                return urns.some((urn) => targetRegExp(ref.name).test(urn)) ? undefined : `no rendered resource matches ${ref.name}`;
            case "unit": {
                if (!ref.name.includes("boutique") || isPlaceholder(ref.name)) return "skip";
                // A timer without Unit= starts the service of its own name (systemd.timer(5)).
                const timer = ref.name.replace(/\.service$/, ".timer");
                return nodeText.includes(ref.name) || (ref.name.endsWith(".service") && nodeText.includes(timer))
                    ? undefined
                    : `no rendered node file names unit ${ref.name}`;
            }
            case "node-path": {
                if (!ref.name.includes("boutique") && !ref.name.startsWith("/usr/local/sbin/")) return "skip";
                const fixed = ref.name.split(/[<*…$]/)[0];
                return nodeText.includes(fixed) ? undefined : `no rendered node file names ${ref.name}`;
            }
        }
    };
}

interface DocCheck {
    readonly counts: Map<Category, { checked: number; skipped: number }>;
    readonly mismatches: string[];
}

/** Checks every reference of the given Markdown files; lists every mismatch with file:line. */
function checkDocs(docs: readonly { readonly file: string; readonly text: string }[], problemOf: ProblemOf): DocCheck {
    const counts = new Map<Category, { checked: number; skipped: number }>();
    const mismatches: string[] = [];
    for (const doc of docs) {
        for (const snippet of snippetsOf(doc.file, doc.text)) {
            for (const ref of referencesOf(snippet)) {
                const count = counts.get(ref.category) ?? { checked: 0, skipped: 0 };
                counts.set(ref.category, count);
                const problem = problemOf(ref);
                if (problem === "skip") count.skipped++;
                else count.checked++;
                if (problem !== undefined && problem !== "skip") mismatches.push(`${doc.file}:${snippet.line}: ${problem}`);
            }
        }
    }
    return { counts, mismatches };
}

describe("docs: every command that names something of ours names what the code has", function () {
    this.timeout(600_000);
    let problemOf: ProblemOf;
    before(async () => {
        const dev = await evaluateDev();
        // Outputs that only the other delivery mode has (Argo CD's) are named too.
        const argoCd = await evaluateDev({ boutiqueDeliveredBy: "argocd", gitopsRepoUrl: "https://gitlab.example.com/shop/deploy.git" });
        problemOf = checkerFor({ ...dev, stackOutputs: { ...argoCd.stackOutputs, ...dev.stackOutputs } }, await evaluateBootstrap());
    });

    it("README.md and docs/*.md: outputs, config keys and fields, npm scripts and flags, files, targets, units, node paths", () => {
        const { counts, mismatches } = checkDocs(
            DOCS.map((file) => ({ file, text: fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8") })),
            problemOf,
        );
        console.log(`      checked in ${DOCS.join(", ")}:`);
        for (const [category, { checked, skipped }] of counts)
            console.log(`        ${category.padEnd(12)} ${String(checked).padStart(4)} checked, ${skipped} skipped by rule`);
        for (const category of ["output", "config-key", "npm-script", "file"] as const)
            assert.ok((counts.get(category)?.checked ?? 0) > 0, `nothing of ${category} was checked: the reader is broken`);
        assert.deepStrictEqual(mismatches, [], `${mismatches.length} mismatches:\n${mismatches.join("\n")}`);
    });

    it("finds each kind of wrong name, one per line, and leaves placeholders and others' names alone", () => {
        const broken = [
            "pulumi stack output shopURL",
            "pulumi config set wokerCount 4",
            "pulumi config set --path delivery.stratgy ab",
            "pulumi config set --path 'workerCount[0]' 1",
            "npm run rendr",
            "npm run render -- --stacks dev",
            "bash .ci/no-such-script",
            "pulumi up --target 'urn:pulumi:x::boutique-platform::boutique:cluster:ControlPlane$command:remote:Command::cluster-init-typo'",
            "sudo systemctl status boutique-no-such.service",
            "cat /run/boutique/no-such-status",
            "cd bootstrap && pulumi stack output haproxyPublicIp",
        ];
        const fine = [
            "pulumi stack output <name>",
            "gcloud compute instances list --filter name~worker",
            "sudo journalctl -u kubelet",
            "cat /var/lib/etcd.before-restore-<stamp>",
            "npm run render -- --stack <stack>",
        ];
        const markdown = ["```sh", ...broken, ...fine, "```"].join("\n");
        const { mismatches } = checkDocs([{ file: "fixture.md", text: markdown }], problemOf);
        assert.deepStrictEqual(
            mismatches.map((mismatch) => Number(/^fixture\.md:([0-9]+):/.exec(mismatch)?.[1])),
            broken.map((_, index) => index + 2),
            mismatches.join("\n"),
        );
    });

    it("builds every image for the nodes' architecture (amd64), whatever the laptop's", () => {
        const builds = DOCS.flatMap((file) => snippetsOf(file, fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8"))).filter(
            (snippet) => !snippet.inline && /\b(docker|buildah)\s+(buildx\s+)?build\b/.test(snippet.text),
        );
        assert.ok(builds.length > 0, "no image build found in the docs: the reader is broken");
        const unpinned = builds
            .filter((snippet) => !/--platform[ =]linux\/amd64\b/.test(snippet.text))
            .map((snippet) => `${snippet.file}:${snippet.line}: ${snippet.text.trim()}`);
        assert.deepStrictEqual(unpinned, []);
    });
});
