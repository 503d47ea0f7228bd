import { strict as assert } from "assert";
import { parse } from "yaml";
import { BOUTIQUE_SERVICES } from "../../config/boutique-config";
import { chartImageName, KustomizeImage } from "../../config/boutique-images";
import { ReleaseFileError, setServiceImage } from "../../release/image-entry";
import { DIGEST, releaseFileText } from "./release-file";

/** The lines of `after` that differ from `before`'s, by line number (an edit that keeps the line count). */
function changedLines(before: string, after: string): { line: number; before: string; after: string }[] {
    const [a, b] = [before.split("\n"), after.split("\n")];
    assert.equal(b.length, a.length, "the edit changed the number of lines");
    return a.flatMap((line, index) => (line === b[index] ? [] : [{ line: index + 1, before: line, after: b[index] }]));
}

function changed(text: string, ...args: Parameters<typeof setServiceImage> extends [string, ...infer Rest] ? Rest : never): string {
    const edit = setServiceImage(text, ...args);
    assert.equal(edit.kind, "changed");
    return edit.kind === "changed" ? edit.text : "";
}

const imagesOf = (text: string) => (parse(text) as { images: KustomizeImage[] }).images;

describe("release/image-entry: one service's images entry, every other byte kept", () => {
    const text = releaseFileText();
    const frontendAt = text.split("\n").findIndex((line) => line === `  - name: ${chartImageName("frontend")}`) + 1;

    it("a digest release changes exactly the entry's newName line and its newTag line (now digest), nothing else", () => {
        const after = changed(text, "frontend", `registry.example.com/shop/frontend@${DIGEST}`);
        assert.deepEqual(changedLines(text, after), [
            { line: frontendAt + 1, before: `    newName: ${chartImageName("frontend")}`, after: "    newName: registry.example.com/shop/frontend" },
            { line: frontendAt + 2, before: "    newTag: v0.10.6", after: `    digest: ${DIGEST}` },
        ]);
        // Byte for byte: the text before the entry's newName value and after its last line is the file's own.
        const start = text.indexOf(`newName: ${chartImageName("frontend")}`);
        assert.equal(after.slice(0, start), text.slice(0, start));
        assert.ok(after.endsWith(text.slice(text.indexOf("  # frontend ends here"))));
        const images = imagesOf(after);
        assert.deepEqual(images[BOUTIQUE_SERVICES.indexOf("frontend")], {
            name: chartImageName("frontend"),
            newName: "registry.example.com/shop/frontend",
            digest: DIGEST,
        });
        assert.deepEqual(
            images.filter((image) => image.name !== chartImageName("frontend")),
            imagesOf(text).filter((image) => image.name !== chartImageName("frontend")),
        );
    });

    it("keeps every comment: the file's head, the resource's, the ones between entries, one on the entry's own line", () => {
        const commented = text.replace(`    newName: ${chartImageName("frontend")}\n`, `    newName: ${chartImageName("frontend")} # the shop's front\n`);
        const after = changed(commented, "frontend", "registry.example.com/shop/frontend:v2.0.1");
        const comments = (source: string) => source.split("\n").filter((line) => line.includes("#")).length;
        assert.equal(comments(after), comments(commented));
        assert.match(after, /^ {4}newName: registry\.example\.com\/shop\/frontend # the shop's front$/m);
        assert.equal(changedLines(commented, after).length, 2);
    });

    it("a tag release after a digest one turns the digest line back into newTag, and quotes a tag YAML would read as a number or boolean", () => {
        const digested = changed(text, "frontend", `registry.example.com/shop/frontend@${DIGEST}`);
        const tagged = changed(digested, "frontend", "registry.example.com:5000/shop/frontend:1.10");
        assert.deepEqual(
            changedLines(digested, tagged).map((change) => change.after),
            ["    newName: registry.example.com:5000/shop/frontend", '    newTag: "1.10"'],
        );
        assert.equal(imagesOf(tagged)[BOUTIQUE_SERVICES.indexOf("frontend")].newTag, "1.10");
        const on = changed(text, "adservice", "registry.example.com/shop/adservice:on");
        assert.match(on, /^ {4}newTag: "on"$/m, "a YAML 1.1 reader would take a plain on as true");
    });

    it("an entry with both newTag and digest keeps the one the release names and drops the other's line", () => {
        const both = text.replace(`    newTag: v0.10.6\n  # frontend ends here`, `    newTag: v0.10.6\n    digest: ${DIGEST}\n  # frontend ends here`);
        const after = changed(both, "frontend", "registry.example.com/shop/frontend:v3");
        assert.equal(after.split("\n").length, both.split("\n").length - 1);
        assert.deepEqual(imagesOf(after)[BOUTIQUE_SERVICES.indexOf("frontend")], {
            name: chartImageName("frontend"),
            newName: "registry.example.com/shop/frontend",
            newTag: "v3",
        });
    });

    it("an entry without newTag or digest gets the missing line, at the entry's indentation", () => {
        const bare = text.replace(`    newTag: v0.10.6\n  # frontend ends here`, "  # frontend ends here");
        const after = changed(bare, "frontend", `registry.example.com/shop/frontend@${DIGEST}`);
        assert.match(after, new RegExp(`^ {4}newName: registry\\.example\\.com/shop/frontend\\n {4}digest: ${DIGEST}\\n {2}# frontend ends here$`, "m"));
    });

    it("already-current is a no-op: the same tag, or the same digest, returns 'current' and no text", () => {
        assert.deepEqual(setServiceImage(text, "frontend", `${chartImageName("frontend")}:v0.10.6`), {
            kind: "current",
            entry: { name: chartImageName("frontend"), newName: chartImageName("frontend"), newTag: "v0.10.6" },
        });
        const digested = changed(text, "frontend", `registry.example.com/shop/frontend@${DIGEST}`);
        assert.equal(setServiceImage(digested, "frontend", `registry.example.com/shop/frontend@${DIGEST}`).kind, "current");
    });

    it("refuses a file that is not YAML, has no images list, or has not exactly one entry for the service, saying which", () => {
        const cases: [string, string, RegExp][] = [
            ["not YAML", "images: [\n", /is not valid YAML/],
            ["no images", "resources:\n  - shop\n", /has no `images:` list/],
            [
                "no entry",
                text.replace(`  - name: ${chartImageName("frontend")}\n`, `  - name: ${chartImageName("frontend")}-old\n`),
                /has 0 `images` entries named .*\/frontend \(frontend's chart image\)/,
            ],
            [
                "two entries",
                `${text}  - name: ${chartImageName("frontend")}\n    newTag: v9\n`,
                /has 2 `images` entries named .*\/frontend \(frontend's chart image\); it must have exactly one/,
            ],
            [
                "a flow entry",
                text.replace(/ {2}- name: (\S+\/frontend)\n {4}newName: (\S+)\n {4}newTag: (\S+)\n/, "  - {name: $1, newName: $2, newTag: $3}\n"),
                /flow style/,
            ],
            ["a duplicate key", text.replace("    newTag: v0.10.6\n  # frontend", "    newTag: v0.10.6\n    newTag: v1\n  # frontend"), /is not valid YAML/],
        ];
        for (const [name, source, message] of cases) {
            assert.throws(
                () => setServiceImage(source, "frontend", "registry.example.com/shop/frontend:v2"),
                (error: Error) => {
                    assert.ok(error instanceof ReleaseFileError, `${name}: ${error.stack}`);
                    assert.match(error.message, message, name);
                    return true;
                },
            );
        }
    });
});
