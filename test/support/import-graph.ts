import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/** The project's own TypeScript: what `tsc -p .` compiles (tsconfig.json's include). */
const SOURCE_ROOTS = ["index.ts", "bench", "bootstrap", "config", "components", "render", "scaler", "policy", "release", "test"];

/** Which folders each part of the program may import from; the most specific entry applies. */
export const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
    config: ["config"],
    "components/shared": ["config", "components/shared"],
    // What nodes run, rendered by pure functions: no resources, no other layer.
    "components/cluster/rendered": ["config", "components/shared", "components/cluster/rendered"],
    "components/cluster": ["config", "components/shared", "components/cluster"],
    "components/platform": ["config", "components/shared", "components/cluster", "components/platform"],
    "components/delivery": ["config", "components/shared", "components/cluster", "components/platform", "components/delivery"],
    "components/autoscaling": ["config", "components/shared", "components/cluster", "components/platform", "components/autoscaling"],
    "components/ci": ["config", "components/shared", "components/ci"],
    // A separate program, in the scaler's image: the stack's model and its own files.
    scaler: ["config", "scaler"],
    policy: ["config", "components", "policy"],
    // The release CLI (npm run release:image), run by the release job: the shop's image model only.
    release: ["config", "release"],
    render: ["config", "components", "scaler", "render"],
    "index.ts": ["config", "components"],
    // The once-per-project stack (CI identities, state bucket, KMS key).
    bootstrap: ["config", "components/shared", "components/ci"],
    bench: ["config", "components", "scaler", "render", "bench", "test/support"],
    test: ["config", "components", "scaler", "render", "policy", "release", "bench", "test", "index.ts"],
};

export interface ImportGraph {
    /** Project-relative file -> the project files it imports (type-only imports included). */
    readonly imports: ReadonlyMap<string, readonly string[]>;
}

function sourceFiles(root: string): string[] {
    const files: string[] = [];
    const walk = (relative: string): void => {
        const full = path.join(root, relative);
        if (fs.statSync(full).isDirectory()) {
            for (const entry of fs.readdirSync(full)) walk(path.join(relative, entry));
        } else if (relative.endsWith(".ts")) {
            files.push(relative.split(path.sep).join("/"));
        }
    };
    for (const entry of SOURCE_ROOTS) if (fs.existsSync(path.join(root, entry))) walk(entry);
    return files.sort();
}

/** Every relative import, re-export, `import()` and `require()` of every file, resolved as TypeScript resolves them. */
export function importGraph(root: string): ImportGraph {
    const options: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, allowJs: false };
    const imports = new Map<string, string[]>();
    for (const file of sourceFiles(root)) {
        const full = path.join(root, file);
        const info = ts.preProcessFile(fs.readFileSync(full, "utf8"), true, true);
        const targets = info.importedFiles
            .map((imported) => imported.fileName)
            .filter((specifier) => specifier.startsWith("."))
            .map((specifier) => {
                const resolved = ts.resolveModuleName(specifier, full, options, ts.sys).resolvedModule?.resolvedFileName;
                if (!resolved) throw new Error(`${file}: cannot resolve ${specifier}`);
                return path.relative(root, resolved).split(path.sep).join("/");
            });
        imports.set(file, [...new Set(targets)].sort());
    }
    return { imports };
}

/** The folder a file belongs to for ALLOWED_IMPORTS: its longest matching entry. */
export function layerOf(file: string): string {
    const matches = Object.keys(ALLOWED_IMPORTS).filter((layer) => file === layer || file.startsWith(`${layer}/`));
    if (matches.length === 0) throw new Error(`${file} belongs to no layer in ALLOWED_IMPORTS`);
    return matches.reduce((longest, layer) => (layer.length > longest.length ? layer : longest));
}

/** "<file> imports <target>" for each import its layer does not allow. */
export function layerViolations(graph: ImportGraph): string[] {
    const violations: string[] = [];
    for (const [file, targets] of graph.imports) {
        const allowed = ALLOWED_IMPORTS[layerOf(file)];
        for (const target of targets) {
            if (!allowed.some((folder) => target === folder || target.startsWith(`${folder}/`))) violations.push(`${file} imports ${target}`);
        }
    }
    return violations;
}

/** Groups of files that import each other, directly or around a loop (Tarjan's strongly connected components). */
export function importCycles(graph: ImportGraph): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (file: string): void => {
        index.set(file, index.size);
        low.set(file, index.get(file)!);
        stack.push(file);
        onStack.add(file);
        for (const target of graph.imports.get(file) ?? []) {
            if (!index.has(target)) {
                visit(target);
                low.set(file, Math.min(low.get(file)!, low.get(target)!));
            } else if (onStack.has(target)) {
                low.set(file, Math.min(low.get(file)!, index.get(target)!));
            }
        }
        if (low.get(file) === index.get(file)) {
            const group: string[] = [];
            let member: string;
            do {
                member = stack.pop()!;
                onStack.delete(member);
                group.push(member);
            } while (member !== file);
            if (group.length > 1 || (graph.imports.get(file) ?? []).includes(file)) cycles.push(group.sort());
        }
    };
    for (const file of graph.imports.keys()) if (!index.has(file)) visit(file);
    return cycles;
}

/** The folder of a file, as the layout table shows it. */
export const folderOf = (file: string): string => (file.includes("/") ? path.posix.dirname(file) : file);

/** Per folder: its files and the other folders it imports from. */
export function folderTable(graph: ImportGraph): { folder: string; files: number; imports: string[] }[] {
    const folders = new Map<string, { files: number; imports: Set<string> }>();
    for (const [file, targets] of graph.imports) {
        const folder = folderOf(file);
        const entry = folders.get(folder) ?? { files: 0, imports: new Set<string>() };
        entry.files += 1;
        for (const target of targets) if (folderOf(target) !== folder) entry.imports.add(folderOf(target));
        folders.set(folder, entry);
    }
    return [...folders]
        .map(([folder, { files, imports }]) => ({ folder, files, imports: [...imports].sort() }))
        .sort((a, b) => a.folder.localeCompare(b.folder));
}
