import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DOC_PAGES, DOCS, PROJECT_ROOT } from "./fixtures";

/**
 * README.md is the newcomer's page and docs/ holds the rest: README links every page of docs/,
 * and every relative link in README.md and docs/*.md names a file that exists and, with a
 * #fragment, a heading of that Markdown file (GitHub's anchors: see headingSlugs).
 */

/** The Markdown's lines outside fenced code blocks, with their 1-based line numbers. */
function proseLines(markdown: string): { line: number; text: string }[] {
    const lines: { line: number; text: string }[] = [];
    let fence: string | undefined;
    markdown.split("\n").forEach((text, index) => {
        const opening = /^\s*(```+|~~~+)/.exec(text);
        if (opening) {
            if (fence === undefined) fence = opening[1][0];
            else if (opening[1][0] === fence) fence = undefined;
            return;
        }
        if (fence === undefined) lines.push({ line: index + 1, text });
    });
    return lines;
}

/**
 * The anchors GitHub gives a page's headings: the heading's text (links and code marks reduced to
 * their text), lower case, everything but letters, digits, spaces, `-` and `_` removed, each
 * space a `-`; a repeated anchor gets `-1`, `-2`, ...
 */
export function headingSlugs(markdown: string): Set<string> {
    const slugs = new Set<string>();
    const seen = new Map<string, number>();
    for (const { text } of proseLines(markdown)) {
        const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
        if (!heading) continue;
        const plain = heading[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
        const base = plain
            .toLowerCase()
            .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
            .replace(/ /g, "-");
        const count = seen.get(base) ?? 0;
        seen.set(base, count + 1);
        slugs.add(count === 0 ? base : `${base}-${count}`);
    }
    return slugs;
}

/** Every Markdown link target outside code (fenced blocks and inline spans), with its line. */
export function linksOf(markdown: string): { line: number; target: string }[] {
    const links: { line: number; target: string }[] = [];
    for (const { line, text } of proseLines(markdown)) {
        const prose = text.replace(/`[^`]*`/g, "");
        for (const match of prose.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: match[1] });
    }
    return links;
}

/** Why each relative link of the given files does not hold, as file:line: problem. */
export function brokenLinks(docs: readonly { readonly file: string; readonly text: string }[], read: (file: string) => string | undefined): string[] {
    const problems: string[] = [];
    for (const doc of docs) {
        for (const { line, target } of linksOf(doc.text)) {
            if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and other absolute URLs
            const hash = target.indexOf("#");
            const filePart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
            const fragment = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
            const file = filePart === "" ? doc.file : path.posix.normalize(path.posix.join(path.posix.dirname(doc.file), filePart));
            const where = `${doc.file}:${line}: ${target}`;
            if (file.startsWith("../") || path.posix.isAbsolute(file)) {
                problems.push(`${where}: points outside the repository`);
                continue;
            }
            const text = file === doc.file ? doc.text : read(file);
            if (text === undefined) {
                problems.push(`${where}: no file ${file}`);
                continue;
            }
            if (fragment === undefined) continue;
            if (!file.endsWith(".md")) problems.push(`${where}: #${fragment} on a file that is not Markdown`);
            else if (!headingSlugs(text).has(fragment))
                problems.push(`${where}: ${file} has no heading #${fragment} (it has ${[...headingSlugs(text)].map((slug) => `#${slug}`).join(", ")})`);
        }
    }
    return problems;
}

/** A repository file's text ("" for a directory), undefined when there is none. */
function readRepoFile(file: string): string | undefined {
    const full = path.join(PROJECT_ROOT, file.replace(/\/$/, ""));
    if (!fs.existsSync(full)) return undefined;
    return fs.statSync(full).isDirectory() ? "" : fs.readFileSync(full, "utf8");
}

describe("docs: links", () => {
    const docs = DOCS.map((file) => ({ file, text: fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8") }));

    it("README.md links every page in docs/", () => {
        const readme = docs[0];
        const linked = new Set(linksOf(readme.text).map(({ target }) => target.split("#")[0]));
        assert.ok(DOC_PAGES.length >= 2, `docs/ has ${DOC_PAGES.join(", ")}`);
        assert.deepEqual(
            DOC_PAGES.filter((page) => !linked.has(page)),
            [],
            "pages README.md does not link",
        );
    });

    it("every relative link in README.md and docs/*.md names a file that exists, and a heading of it for #anchors", () => {
        const count = docs.reduce((sum, doc) => sum + linksOf(doc.text).length, 0);
        assert.ok(count >= DOC_PAGES.length, `${count} links: the reader is broken`);
        assert.deepEqual(brokenLinks(docs, readRepoFile), []);
    });

    it("slugs headings as GitHub does", () => {
        const slugs = headingSlugs(
            [
                "# boutique-platform",
                "## Day two: upgrades, replacements, dead nodes",
                "## The scaler (`scaler/`)",
                "### Teardown, in order",
                "## How it keeps its promises",
                "## Notes",
                "## Notes",
                "```sh",
                "# a comment, not a heading",
                "```",
            ].join("\n"),
        );
        assert.deepEqual(
            [...slugs],
            [
                "boutique-platform",
                "day-two-upgrades-replacements-dead-nodes",
                "the-scaler-scaler",
                "teardown-in-order",
                "how-it-keeps-its-promises",
                "notes",
                "notes-1",
            ],
        );
    });

    it("finds each kind of broken link, and leaves code, URLs and good links alone", () => {
        const pages: Record<string, string> = { "docs/a.md": "# A\n## Some heading\n", "docs/b.md": "# B\n" };
        const text = [
            "[missing file](docs/nope.md)", // 1
            "[missing anchor](docs/a.md#other-heading)", // 2
            "[missing local anchor](#nowhere)", // 3
            "[outside](../elsewhere.md)", // 4
            "[good](docs/a.md#some-heading) [good](docs/b.md) [local](#top) [web](https://example.com/x#y)",
            "`[in code](docs/nope.md)`",
            "```",
            "[in a block](docs/nope.md)",
            "```",
            "# Top",
        ].join("\n");
        const problems = brokenLinks([{ file: "README.md", text }], (file) => pages[file]);
        assert.deepEqual(
            problems.map((problem) => Number(/^README\.md:([0-9]+):/.exec(problem)?.[1])),
            [1, 2, 3, 4],
            problems.join("\n"),
        );
        // Relative to the linking page: docs/a.md links its sibling as b.md.
        assert.deepEqual(
            brokenLinks([{ file: "docs/a.md", text: "[b](b.md) [readme](../README.md)" }], (file) => (file === "README.md" ? "" : pages[file])),
            [],
        );
    });
});
