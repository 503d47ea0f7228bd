import { strict as assert } from "assert";

/**
 * Upstream's field numbers, read from the files themselves (not from our .proto):
 * k8s.io/api core/v1/generated.proto (kubernetes/api 10b39a39) for Node, NodeSpec, Taint,
 * NodeStatus, NodeCondition; k8s.io/apimachinery pkg/apis/meta/v1/generated.proto and
 * pkg/api/resource/generated.proto (kubernetes/apimachinery eed236ce) for ObjectMeta, Quantity.
 * A proto map is a repeated entry message with key = 1, value = 2.
 */
export const UPSTREAM = {
    node: { metadata: 1, spec: 2, status: 3 },
    objectMeta: { name: 1, labels: 11 },
    nodeSpec: { providerID: 3, taints: 5 },
    taint: { key: 1, value: 2, effect: 3 },
    nodeStatus: { capacity: 1, allocatable: 2, conditions: 4 },
    nodeCondition: { type: 1, status: 2 },
    quantity: { string: 1 },
    mapEntry: { key: 1, value: 2 },
} as const;

/** One field as the wire has it: its number and, for length-delimited ones, the bytes. */
export interface WireField {
    readonly field: number;
    readonly wireType: number;
    readonly bytes: Buffer;
}

/** A protobuf message's fields, read from the wire format alone (varint tags, length prefixes). */
export function readFields(buffer: Buffer): WireField[] {
    const fields: WireField[] = [];
    let at = 0;
    const varint = (): number => {
        let [value, shift] = [0, 0];
        for (;;) {
            const byte = buffer[at++];
            assert.ok(byte !== undefined, "truncated varint");
            value += (byte & 0x7f) * 2 ** shift;
            if ((byte & 0x80) === 0) return value;
            shift += 7;
        }
    };
    while (at < buffer.length) {
        const tag = varint();
        const [field, wireType] = [Math.floor(tag / 8), tag % 8];
        assert.equal(wireType, 2, `field ${field}: every field a template sets is a string, bytes or message (wire type 2)`);
        const length = varint();
        assert.ok(at + length <= buffer.length, `field ${field} runs past its message`);
        fields.push({ field, wireType, bytes: buffer.subarray(at, at + length) });
        at += length;
    }
    return fields;
}

export const only = (fields: readonly WireField[], field: number): Buffer => {
    const found = fields.filter((f) => f.field === field);
    assert.equal(found.length, 1, `field ${field} appears once`);
    return found[0].bytes;
};
export const all = (fields: readonly WireField[], field: number) => fields.filter((f) => f.field === field).map((f) => f.bytes);
export const text = (bytes: Buffer) => bytes.toString("utf8");
export const numbers = (fields: readonly WireField[]) => [...new Set(fields.map((f) => f.field))].sort((a, b) => a - b);

/** A map field's entries, each entry {1: key, 2: value}. */
function mapOf<V>(entries: readonly Buffer[], value: (bytes: Buffer) => V): Record<string, V> {
    return Object.fromEntries(
        entries.map((entry) => readFields(entry)).map((e) => [text(only(e, UPSTREAM.mapEntry.key)), value(only(e, UPSTREAM.mapEntry.value))]),
    );
}

/** The Node the bytes hold, decoded by upstream's numbers only. */
export function decodeNode(bytes: Buffer) {
    const node = readFields(bytes);
    assert.deepEqual(numbers(node), [1, 2, 3]);
    const [meta, spec, nodeStatus] = [only(node, UPSTREAM.node.metadata), only(node, UPSTREAM.node.spec), only(node, UPSTREAM.node.status)].map(readFields);
    const quantity = (b: Buffer) => text(only(readFields(b), UPSTREAM.quantity.string));
    return {
        fieldNumbers: { meta: numbers(meta), spec: numbers(spec), status: numbers(nodeStatus) },
        name: text(only(meta, UPSTREAM.objectMeta.name)),
        labels: mapOf(all(meta, UPSTREAM.objectMeta.labels), text),
        providerID: text(only(spec, UPSTREAM.nodeSpec.providerID)),
        taints: all(spec, UPSTREAM.nodeSpec.taints)
            .map(readFields)
            .map((t) => ({
                key: text(only(t, UPSTREAM.taint.key)),
                value: text(only(t, UPSTREAM.taint.value)),
                effect: text(only(t, UPSTREAM.taint.effect)),
            })),
        capacity: mapOf(all(nodeStatus, UPSTREAM.nodeStatus.capacity), quantity),
        allocatable: mapOf(all(nodeStatus, UPSTREAM.nodeStatus.allocatable), quantity),
        conditions: all(nodeStatus, UPSTREAM.nodeStatus.conditions)
            .map(readFields)
            .map((c) => ({ type: text(only(c, UPSTREAM.nodeCondition.type)), status: text(only(c, UPSTREAM.nodeCondition.status)) })),
    };
}
