/**
 * Reads the shell commands and code words out of Markdown (README.md, docs/*.md) and names what
 * each one refers to in this repository: a stack output, a config key (and a --path field), an
 * npm script and its CLI's flags, a file, a --target URN, a systemd unit or a node path. The
 * test (test/doc-commands.test.ts) checks each reference against the code.
 */

/** A code block line or an inline code span, with where it is. */
export interface Snippet {
    readonly file: string;
    readonly line: number;
    readonly text: string;
    /** Commands after `cd bootstrap` in a block address the bootstrap project, not the platform. */
    readonly project: "platform" | "bootstrap";
    readonly inline: boolean;
}

export type Category = "output" | "config-key" | "config-path" | "npm-script" | "cli-flag" | "file" | "target" | "unit" | "node-path";

export interface Reference {
    readonly category: Category;
    /** What is checked: an output name, a key, "script --flag", a path, a URN pattern. */
    readonly name: string;
    /** For config-path: the field path after the key (".a.b[0]"), and the value the doc gives, if plain. */
    readonly field?: string;
    readonly value?: string;
    /** For cli-flag: the npm script. */
    readonly script?: string;
    readonly where: Snippet;
}

/** Languages whose fenced blocks are shell or plain listings (the Layout block has none). */
const SHELL_LANGUAGES = new Set(["", "sh", "bash", "shell", "console"]);

/** Every shell line of the fenced blocks (continuations joined) and every inline code span. */
export function snippetsOf(file: string, markdown: string): Snippet[] {
    const snippets: Snippet[] = [];
    const lines = markdown.split("\n");
    let fence: { language: string; project: Snippet["project"] } | undefined;
    for (let index = 0; index < lines.length; index++) {
        const line = lines[index];
        const opening = /^\s*```\s*([A-Za-z0-9_-]*)/.exec(line);
        if (opening) {
            fence = fence === undefined ? { language: opening[1], project: "platform" } : undefined;
            continue;
        }
        if (fence !== undefined) {
            if (!SHELL_LANGUAGES.has(fence.language)) continue;
            let text = line;
            const start = index;
            while (/\\\s*$/.test(text) && index + 1 < lines.length) text = text.replace(/\\\s*$/, " ") + lines[++index];
            if (/^\s*cd\s+bootstrap\b/.test(text)) fence.project = "bootstrap";
            snippets.push({ file, line: start + 1, text, project: fence.project, inline: false });
            continue;
        }
        for (const span of line.matchAll(/`([^`]+)`/g)) snippets.push({ file, line: index + 1, text: span[1], project: "platform", inline: true });
    }
    return snippets;
}

/** Shell words of one command line: quotes removed, comments dropped, split at ; && || |. */
export function shellCommands(text: string): string[][] {
    const commands: string[][] = [[]];
    let word: string | undefined;
    let quote: string | undefined;
    const endWord = () => {
        if (word !== undefined) commands[commands.length - 1].push(word);
        word = undefined;
    };
    for (let at = 0; at < text.length; at++) {
        const char = text[at];
        if (char === "\\" && quote !== "'" && at + 1 < text.length) {
            word = (word ?? "") + text[++at]; // an escaped character is itself
        } else if (quote !== undefined) {
            if (char === quote) quote = undefined;
            else word = (word ?? "") + char;
        } else if (char === "'" || char === '"') {
            quote = char;
            word = word ?? "";
        } else if (char === "#" && word === undefined) {
            break;
        } else if (/\s/.test(char)) {
            endWord();
        } else if (char === ";" || char === "|" || (char === "&" && text[at + 1] === "&")) {
            endWord();
            if (text[at + 1] === char) at++;
            commands.push([]);
        } else {
            word = (word ?? "") + char;
        }
    }
    endWord();
    return commands.filter((words) => words.length > 0);
}

/** `$( ... )` bodies (nested ones too), and the text with each replaced by $SUBST. */
export function substitutions(text: string): { readonly outer: string; readonly inner: string[] } {
    const inner: string[] = [];
    let outer = "";
    for (let at = 0; at < text.length; at++) {
        if (text.startsWith("$(", at)) {
            let depth = 1;
            let end = at + 2;
            for (; end < text.length && depth > 0; end++) depth += text[end] === "(" ? 1 : text[end] === ")" ? -1 : 0;
            const body = text.slice(at + 2, end - 1);
            const nested = substitutions(body);
            inner.push(nested.outer, ...nested.inner);
            outer += "$SUBST";
            at = end - 1;
        } else {
            outer += text[at];
        }
    }
    return { outer, inner };
}

/** A name that stands for any name (<stack>, …, $VAR, ${X}, a substitution): not a name to check. */
export function isPlaceholder(name: string): boolean {
    return /[<>…$]|\.\.\./.test(name);
}

const PULUMI_FLAGS_WITH_VALUE = new Set(["-s", "--stack", "-C", "--cwd", "--config-file", "--target", "--policy-pack", "--secrets-provider"]);

function positional(words: readonly string[]): string[] {
    const found: string[] = [];
    for (let at = 0; at < words.length; at++) {
        if (PULUMI_FLAGS_WITH_VALUE.has(words[at])) at++;
        else if (!words[at].startsWith("-")) found.push(words[at]);
    }
    return found;
}

function pulumiReferences(words: readonly string[], where: Snippet): Reference[] {
    const found: Reference[] = [];
    words.forEach((word, at) => {
        const target = word === "--target" ? words[at + 1] : word.startsWith("--target=") ? word.slice("--target=".length) : undefined;
        if (target !== undefined) found.push({ category: "target", name: target, where });
    });
    const args = positional(words.slice(1));
    if (args[0] === "stack" && args[1] === "output" && args[2] !== undefined) found.push({ category: "output", name: args[2], where });
    if (args[0] === "config" && ["set", "get", "rm"].includes(args[1]) && args[2] !== undefined) {
        const key = args[2];
        const split = words.includes("--path") ? /^([^.[]+)(.*)$/.exec(key) : null;
        if (split && split[2] !== "") found.push({ category: "config-path", name: split[1], field: split[2], value: args[3], where });
        else found.push({ category: "config-key", name: key, where });
    }
    return found;
}

function npmReferences(words: readonly string[], where: Snippet): Reference[] {
    const args = words.slice(1).filter((word) => !/^-[a-z]$/.test(word) && word !== "--silent");
    if (args[0] !== "run" || args[1] === undefined) return [];
    const script = args[1];
    const dashes = args.indexOf("--");
    const flags =
        dashes < 0
            ? []
            : args
                  .slice(dashes + 1)
                  .filter((word) => /^--[a-z]/.test(word))
                  .map((word) => word.split("=")[0]);
    return [{ category: "npm-script", name: script, where }, ...flags.map((flag): Reference => ({ category: "cli-flag", name: flag, script, where }))];
}

function unitReferences(words: readonly string[], where: Snippet): Reference[] {
    if (words[0] !== "journalctl" && words[0] !== "systemctl" && !(words[0] === "sudo" && (words[1] === "systemctl" || words[1] === "journalctl"))) return [];
    const found: Reference[] = [];
    words.forEach((word, at) => {
        if (words[at - 1] === "-u" || /^[a-z0-9@_.-]+\.(service|timer)$/.test(word)) {
            found.push({ category: "unit", name: /\.(service|timer)$/.test(word) ? word : `${word}.service`, where });
        }
    });
    return found;
}

/** A path inside the repository, or an absolute path on a node: the two kinds of path a doc names. */
function pathReferences(words: readonly string[], where: Snippet): Reference[] {
    return words.flatMap((word): Reference[] => {
        const bare = word.replace(/[.,:;)]+$/, "");
        if (/^\/(etc|run|usr|var|opt|home|lib)\//.test(bare)) return [{ category: "node-path", name: bare, where }];
        if (/^\.?[A-Za-z0-9_-]+(\.[a-z]+)?\/[A-Za-z0-9_.*/<>{},-]*$/.test(bare)) return [{ category: "file", name: bare, where }];
        return [];
    });
}

/** Everything one snippet refers to. */
export function referencesOf(where: Snippet): Reference[] {
    const { outer, inner } = substitutions(where.text);
    const found: Reference[] = [];
    for (const text of [outer, ...inner]) {
        // `cd bootstrap && pulumi ...` within one line addresses the bootstrap project too.
        let at = where;
        for (const words of shellCommands(text)) {
            if (words[0] === "cd" && words[1] === "bootstrap") at = { ...where, project: "bootstrap" };
            found.push(...commandReferences(words, at));
        }
    }
    return found;
}

/** What one command (its words) refers to. */
function commandReferences(words: readonly string[], where: Snippet): Reference[] {
    const command = words[0] === "sudo" ? words.slice(1) : words;
    const found: Reference[] = [];
    if (command[0] === "pulumi") found.push(...pulumiReferences(command, where));
    if (command[0] === "npm") found.push(...npmReferences(command, where));
    found.push(...unitReferences(words, where), ...pathReferences(words, where));
    for (const word of words) {
        const urnShaped = word.includes("urn:pulumi:") || /\$[a-z0-9]+:[A-Za-z0-9/]+:[A-Za-z0-9]+::/.test(word);
        if (urnShaped && !found.some((ref) => ref.category === "target" && ref.name === word)) found.push({ category: "target", name: word, where });
    }
    return found;
}
