import * as crypto from "crypto";

/**
 * The mock cloud's only source of randomness: a deterministic byte stream, so a render is a
 * pure function of its config (two renders of one stack are byte-identical).
 *
 * Derivation (HMAC-SHA256 in counter mode, as NIST SP 800-108 / HKDF-Expand):
 *   K        = HMAC-SHA256(key = seed, message = label)
 *   block[i] = HMAC-SHA256(key = K, message = uint32be(i)), i = 0, 1, ...
 *   stream   = block[0] || block[1] || ...
 * The mock cloud uses seed = "<project>/<stack>[/<clusterName>]" and
 * label = "<type>::<name>::<purpose>": never the inputs, so a resource keeps its values when
 * unrelated config changes, and the values are secret only as long as the seed is (offline only).
 */
export class DeterministicRandom {
    /** Identifies the stream (hex of K's digest): a memo key for values derived from it alone. */
    readonly id: string;
    private readonly key: Buffer;
    private counter = 0;
    private pending = Buffer.alloc(0);

    constructor(seed: string, label: string) {
        this.key = crypto.createHmac("sha256", seed).update(label).digest();
        this.id = crypto.createHash("sha256").update(this.key).digest("hex");
    }

    bytes(length: number): Buffer {
        const blocks: Buffer[] = [this.pending];
        let available = this.pending.length;
        while (available < length) {
            const counter = Buffer.alloc(4);
            counter.writeUInt32BE(this.counter++);
            const block = crypto.createHmac("sha256", this.key).update(counter).digest();
            blocks.push(block);
            available += block.length;
        }
        const all = Buffer.concat(blocks);
        this.pending = all.subarray(length);
        return all.subarray(0, length);
    }

    /** A uniform integer in [0, bound), bound <= 2^32, by rejection (no modulo bias). */
    below(bound: number): number {
        if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) throw new Error(`bound out of range: ${bound}`);
        const limit = 2 ** 32 - (2 ** 32 % bound);
        for (;;) {
            const value = this.bytes(4).readUInt32BE();
            if (value < limit) return value % bound;
        }
    }

    /** `length` characters drawn uniformly from `alphabet`. */
    string(length: number, alphabet: string): string {
        return Array.from({ length }, () => alphabet[this.below(alphabet.length)]).join("");
    }

    /** An integer of exactly `bits` bits, its top two bits set and the rest uniform. */
    topBitsSet(bits: number): bigint {
        const bytes = this.bytes(Math.ceil(bits / 8));
        let value = BigInt(`0x${bytes.toString("hex")}`) & ((1n << BigInt(bits)) - 1n);
        value |= 3n << BigInt(bits - 2);
        return value;
    }
}

const SMALL_PRIMES: readonly bigint[] = (() => {
    const primes: number[] = [];
    for (let candidate = 3; candidate < 2000; candidate += 2) {
        if (primes.every((prime) => candidate % prime !== 0)) primes.push(candidate);
    }
    return primes.map(BigInt);
})();

const RSA_EXPONENT = 65537n;

/**
 * A prime of exactly `bits` bits (top two bits set, so the product of two has exactly 2*bits),
 * with gcd(65537, p - 1) = 1, from fresh candidates of `random`.
 *
 * Candidates are screened by trial division, then tested by OpenSSL (crypto.checkPrimeSync,
 * native: about 100 times faster than Miller-Rabin on BigInt). OpenSSL's Miller-Rabin bases
 * are its own random ones, but a prime always passes and a composite passes with probability
 * below 2^-128, so which candidate is chosen depends on the stream alone.
 */
function derivePrime(random: DeterministicRandom, bits: number): bigint {
    for (;;) {
        const candidate = random.topBitsSet(bits) | 1n;
        if (SMALL_PRIMES.some((prime) => candidate % prime === 0n)) continue;
        // 65537 is prime, so gcd(e, p - 1) = 1 unless p = 1 (mod e).
        if (candidate % RSA_EXPONENT === 1n) continue;
        if (crypto.checkPrimeSync(candidate)) return candidate;
    }
}

function modInverse(value: bigint, modulus: bigint): bigint {
    let [oldR, r] = [value % modulus, modulus];
    let [oldS, s] = [1n, 0n];
    while (r !== 0n) {
        const quotient = oldR / r;
        [oldR, r] = [r, oldR - quotient * r];
        [oldS, s] = [s, oldS - quotient * s];
    }
    if (oldR !== 1n) throw new Error("not invertible");
    return ((oldS % modulus) + modulus) % modulus;
}

function gcd(a: bigint, b: bigint): bigint {
    while (b !== 0n) [a, b] = [b, a % b];
    return a;
}

function base64url(value: bigint): string {
    const hex = value.toString(16);
    return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");
}

/**
 * An RSA private key of exactly `bits` bits (e = 65537) from `random`. Node cannot seed its
 * own key generation, and node-forge's seeded one takes seconds per key in pure JS; this takes
 * about 0.1 s. d is e^-1 mod lcm(p-1, q-1), as OpenSSL computes it.
 */
export function deriveRsaKey(random: DeterministicRandom, bits: number): crypto.KeyObject {
    if (bits < 512 || bits % 2 !== 0) throw new Error(`unsupported RSA size ${bits}`);
    let p = derivePrime(random, bits / 2);
    let q = derivePrime(random, bits / 2);
    while (q === p) q = derivePrime(random, bits / 2);
    if (p < q) [p, q] = [q, p];
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const d = modInverse(RSA_EXPONENT, lambda);
    const jwk = {
        kty: "RSA",
        n: base64url(p * q),
        e: base64url(RSA_EXPONENT),
        d: base64url(d),
        p: base64url(p),
        q: base64url(q),
        dp: base64url(d % (p - 1n)),
        dq: base64url(d % (q - 1n)),
        qi: base64url(modInverse(q, p)),
    };
    return crypto.createPrivateKey({ key: jwk, format: "jwk" });
}

/** An Ed25519 private key whose 32-byte seed comes from `random` (RFC 8410 PKCS#8 wrapping). */
export function deriveEd25519Key(random: DeterministicRandom): crypto.KeyObject {
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), random.bytes(32)]);
    return crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

/** OpenSSL's curve names and OIDs (DER, with tag and length) for the tls provider's curves. */
const CURVES: Readonly<Record<string, { readonly openssl: string; readonly bits: number; readonly oid: string }>> = {
    P224: { openssl: "secp224r1", bits: 224, oid: "06052b81040021" },
    P256: { openssl: "prime256v1", bits: 256, oid: "06082a8648ce3d030107" },
    P384: { openssl: "secp384r1", bits: 384, oid: "06052b81040022" },
    P521: { openssl: "secp521r1", bits: 521, oid: "06052b81040023" },
};

function der(tag: number, content: Buffer): Buffer {
    const length = content.length < 0x80 ? Buffer.from([content.length]) : Buffer.from([0x81, content.length]);
    return Buffer.concat([Buffer.from([tag]), length, content]);
}

/**
 * An ECDSA private key whose scalar comes from `random`: the stream's bits below the curve
 * size, drawn again until ECDH accepts them (1 <= d < order). Node's JWK import lacks P-224,
 * so the key is written as SEC1 ECPrivateKey DER (RFC 5915) for every curve.
 */
export function deriveEcdsaKey(random: DeterministicRandom, curve: string): crypto.KeyObject {
    const spec = CURVES[curve];
    if (!spec) throw new Error(`unsupported ECDSA curve ${curve} (expected one of ${Object.keys(CURVES).join(", ")})`);
    const size = Math.ceil(spec.bits / 8);
    const ecdh = crypto.createECDH(spec.openssl);
    let scalar: Buffer;
    for (;;) {
        scalar = random.bytes(size);
        scalar[0] &= 0xff >> (size * 8 - spec.bits);
        try {
            ecdh.setPrivateKey(scalar);
            break;
        } catch {
            // out of range for the curve: draw again
        }
    }
    const body = Buffer.concat([
        der(0x02, Buffer.from([1])),
        der(0x04, scalar),
        der(0xa0, Buffer.from(spec.oid, "hex")),
        der(0xa1, der(0x03, Buffer.concat([Buffer.from([0]), ecdh.getPublicKey()]))),
    ]);
    return crypto.createPrivateKey({ key: der(0x30, body), format: "der", type: "sec1" });
}

/** bcrypt's own base64 alphabet (OpenBSD's encode_base64: no padding, ./ first). */
const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function bcryptBase64(bytes: Buffer): string {
    let out = "";
    for (let i = 0; i < bytes.length; i += 3) {
        const chunk = [bytes[i] ?? 0, bytes[i + 1] ?? 0, bytes[i + 2] ?? 0];
        const bits = (chunk[0] << 16) | (chunk[1] << 8) | chunk[2];
        const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
        for (let c = 0; c < chars; c++) out += BCRYPT_ALPHABET[(bits >> (18 - 6 * c)) & 63];
    }
    return out;
}

/**
 * A stand-in for RandomPassword's `bcryptHash`: the shape bcrypt writes (`$2a$10$`, a 22-character
 * salt from `random`, a 31-character digest, bcrypt's base64), so what reads it (Argo CD's values)
 * sees a well-formed hash. Not bcrypt: the digest is HMAC-SHA256(salt, password), which no bcrypt
 * check accepts; offline renders never log in.
 */
export function mockBcryptHash(random: DeterministicRandom, password: string): string {
    const salt = random.bytes(16);
    const digest = crypto.createHmac("sha256", salt).update(password.slice(0, 72)).digest().subarray(0, 23);
    return `$2a$10$${bcryptBase64(salt)}${bcryptBase64(digest)}`;
}
