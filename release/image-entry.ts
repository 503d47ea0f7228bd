import { isMap, isScalar, isSeq, Pair, parseDocument, Scalar, stringify, YAMLMap } from "yaml";
import { BoutiqueService } from "../config/boutique-config";
import { KustomizeImage, kustomizeImage } from "../config/boutique-images";

/**
 * One release: the Git path's release file (`<gitopsPath>/kustomization.yaml`) with one service's
 * kustomize `images` entry pointing at a new image. The yaml package's Document API finds the
 * entry and the source range of each of its values; the edit replaces those ranges in the text,
 * so every other byte of the file (comments, order, quoting, blank lines, the other entries) is
 * the file's own. A pure function of the text: the CLI (release/main.ts) reads and writes the file.
 */

/** The release file cannot take this release (a file or entry a person must fix): the message says what is wrong. */
export class ReleaseFileError extends Error {}

export type ImageEdit =
    /** The entry now names the image: `text` is the new file. */
    | { readonly kind: "changed"; readonly text: string; readonly entry: KustomizeImage }
    /** The entry already names the image: nothing to write. */
    | { readonly kind: "current"; readonly entry: KustomizeImage };

/** The keys an entry's image is made of, in the order a new line is written. */
type ImageKey = "newName" | "newTag" | "digest";

/** A source range [start, end) and what replaces it. */
interface Splice {
    readonly start: number;
    readonly end: number;
    readonly text: string;
}

// YAML 1.1 readers (older kustomize) take these plain words as booleans or null; a tag such as `on` must stay a string.
const YAML11_WORDS = /^(y|n|yes|no|on|off|true|false|null)$/i;

/** A value as a one-line YAML scalar that reads back as this exact string (quoted when plain would read as a number, boolean or null). */
function scalarText(value: string): string {
    const plain = stringify(value, { lineWidth: 0 }).trimEnd();
    return YAML11_WORDS.test(value) && !/^["']/.test(plain) ? JSON.stringify(value) : plain;
}

/** A `key: value` pair of scalars: an image entry's keys and values are plain text. */
type ScalarPair = Pair<Scalar, Scalar>;

/** The source range of a node the parser kept it for. */
function rangeOf(node: { range?: [number, number, number] | null } | null, what: string): [number, number, number] {
    if (!node?.range) throw new Error(`${what}: the parser kept no source range`);
    return node.range;
}

function keyOf(pair: Pair): string | undefined {
    return isScalar(pair.key) && typeof pair.key.value === "string" ? pair.key.value : undefined;
}

/** The entry's pair for `key`, when it has one; an entry with the key twice is refused by the parser. */
function pairOf(entry: YAMLMap, key: string): ScalarPair | undefined {
    const pair = entry.items.find((item) => keyOf(item) === key);
    if (pair === undefined) return undefined;
    if (!isScalar(pair.value)) throw new ReleaseFileError(`its ${key} is not a single value`);
    return pair as ScalarPair; // its key is a scalar: keyOf matched it
}

const lineStart = (text: string, offset: number) => text.lastIndexOf("\n", offset - 1) + 1;
/** The offset just after the newline that ends the line holding `offset` (or the text's end). */
function lineEnd(text: string, offset: number): number {
    const newline = text.indexOf("\n", offset);
    return newline < 0 ? text.length : newline + 1;
}

/** What the entry names now, as a KustomizeImage (undefined fields absent). */
function currentImage(name: string, entry: YAMLMap): KustomizeImage {
    const value = (key: ImageKey) => {
        const scalar = pairOf(entry, key)?.value;
        return scalar === undefined || scalar === null ? undefined : String(scalar.value);
    };
    const [newName, newTag, digest] = [value("newName"), value("newTag"), value("digest")];
    return { name, newName: newName ?? "", ...(newTag === undefined ? {} : { newTag }), ...(digest === undefined ? {} : { digest }) };
}

function sameImage(a: KustomizeImage, b: KustomizeImage): boolean {
    return a.name === b.name && a.newName === b.newName && a.newTag === b.newTag && a.digest === b.digest;
}

/**
 * The release file `text` with `service`'s entry naming `reference`: newName, and newTag or digest
 * (the other one dropped). `reference` is a pinned image reference config/fields.ts imageProblem has
 * accepted. Throws ReleaseFileError when the file is not YAML, has no `images` list, or has not
 * exactly one entry for the service.
 */
export function setServiceImage(text: string, service: BoutiqueService, reference: string): ImageEdit {
    const wanted = kustomizeImage(service, reference);
    const doc = parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0) throw new ReleaseFileError(`is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
    const images = isMap(doc.contents) ? doc.contents.get("images", true) : undefined;
    if (!isSeq(images)) throw new ReleaseFileError("has no `images:` list (the release file lists one kustomize image entry per service)");
    const entries = images.items.filter((item): item is YAMLMap => isMap(item) && item.get("name") === wanted.name);
    if (entries.length !== 1) {
        throw new ReleaseFileError(`has ${entries.length} \`images\` entries named ${wanted.name} (${service}'s chart image); it must have exactly one`);
    }
    const [entry] = entries;
    if (entry.flow) throw new ReleaseFileError(`writes ${service}'s entry in flow style ({...}); write it as a block (one key per line)`);

    const current = currentImage(wanted.name, entry);
    if (sameImage(current, wanted)) return { kind: "current", entry: wanted };

    const splices: Splice[] = [];
    // A new key goes on its own line after the last image key there is (or after `name`), at the entry's key column.
    let anchor = pairOf(entry, "name") as ScalarPair;
    const column = (pair: ScalarPair) => {
        const start = rangeOf(pair.key, "a key")[0];
        return start - lineStart(text, start);
    };
    const setValue = (key: ImageKey, value: string, existing: ScalarPair | undefined, renamedFrom?: ScalarPair) => {
        const pair = existing ?? renamedFrom;
        if (pair === undefined) {
            const at = lineEnd(text, rangeOf(anchor.value, key)[1]);
            const newline = at === text.length && !text.endsWith("\n") ? "\n" : "";
            splices.push({ start: at, end: at, text: `${newline}${" ".repeat(column(anchor))}${key}: ${scalarText(value)}\n` });
            return;
        }
        if (existing === undefined) {
            const [start, end] = rangeOf(pair.key, key);
            splices.push({ start, end, text: key });
        }
        const [start, end] = rangeOf(pair.value, key);
        splices.push({ start, end, text: scalarText(value) });
        anchor = pair;
    };
    const removePair = (pair: ScalarPair, key: ImageKey) => {
        const start = rangeOf(pair.key, key)[0];
        const from = lineStart(text, start);
        if (text.slice(from, start).trim() !== "")
            throw new ReleaseFileError(`has ${service}'s ${key} on the entry's first line; move it to a line of its own`);
        splices.push({ start: from, end: lineEnd(text, rangeOf(pair.value, key)[1]), text: "" });
    };

    const [tagPair, digestPair] = [pairOf(entry, "newTag"), pairOf(entry, "digest")];
    setValue("newName", wanted.newName, pairOf(entry, "newName"));
    if (wanted.digest !== undefined) {
        // The tag's line becomes the digest's when there is no digest line yet.
        setValue("digest", wanted.digest, digestPair, tagPair);
        if (digestPair !== undefined && tagPair !== undefined) removePair(tagPair, "newTag");
    } else {
        setValue("newTag", wanted.newTag ?? "", tagPair, digestPair);
        if (digestPair !== undefined && tagPair !== undefined) removePair(digestPair, "digest");
    }

    let edited = text;
    for (const splice of [...splices].sort((a, b) => b.start - a.start)) edited = edited.slice(0, splice.start) + splice.text + edited.slice(splice.end);
    checkEdit(text, edited, wanted);
    return { kind: "changed", text: edited, entry: wanted };
}

/** The edit changed the entry to `wanted` and nothing else the file means: a bug here must not reach a release. */
function checkEdit(before: string, after: string, wanted: KustomizeImage): void {
    const read = (text: string) => {
        const doc = parseDocument(text, { uniqueKeys: true });
        if (doc.errors.length > 0) throw new Error(`release/image-entry: the edit broke the file: ${doc.errors[0].message}`);
        return doc.toJS() as { images: Record<string, unknown>[] } & Record<string, unknown>;
    };
    const [old, changed] = [read(before), read(after)];
    const IMAGE_KEYS: readonly string[] = ["newName", "newTag", "digest"] satisfies ImageKey[];
    const withImage = (image: Record<string, unknown>) => ({
        ...Object.fromEntries(Object.entries(image).filter(([key]) => !IMAGE_KEYS.includes(key))),
        ...wanted,
    });
    const expected = { ...old, images: old.images.map((image) => (image.name === wanted.name ? withImage(image) : image)) };
    const normalise = (value: unknown) => JSON.stringify(value, (_key, inner: unknown) => (isPlainObject(inner) ? sortedKeys(inner) : inner));
    if (normalise(changed) !== normalise(expected)) throw new Error(`release/image-entry: the edit of ${wanted.name} changed more than its entry`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
        Object.keys(value)
            .sort()
            .map((key) => [key, value[key]]),
    );
}

/** The release file of a Git path. */
export const RELEASE_FILE = "kustomization.yaml";
