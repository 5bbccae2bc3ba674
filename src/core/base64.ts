// Base64 as the API server decodes a `[]byte` field of a JSON object (Secret.data, ConfigMap.binaryData): Go's
// encoding/json hands the string to base64.StdEncoding (encoding/base64/base64.go decodeQuantum) — the standard
// alphabet, padding required, '\r' and '\n' skipped anywhere, non-zero trailing bits tolerated (not strict). A
// malformed value is refused with `illegal base64 data at input byte N` (CorruptInputError), N counting the bytes of
// the string. Pure: no Buffer, so the core can use it.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Map([...ALPHABET].map((ch, i) => [ch.charCodeAt(0), i]));
const PAD = '='.charCodeAt(0);
const CR = 13;
const LF = 10;

export type Base64Result = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

const corrupt = (at: number): Base64Result => ({
  ok: false,
  message: `illegal base64 data at input byte ${at}`,
});

/** Decodes like base64.StdEncoding.DecodeString. */
export function decodeBase64(text: string): Base64Result {
  const src = new TextEncoder().encode(text);
  const out: number[] = [];
  let si = 0;
  const skipNewlines = (): void => {
    while (si < src.length && (src[si] === CR || src[si] === LF)) si++;
  };
  while (si < src.length) {
    const quantum: number[] = [];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return { ok: true, bytes: Uint8Array.from(out) };
        return corrupt(si - j); // padding is required
      }
      const ch = src[si]!;
      si++;
      const value = DECODE.get(ch);
      if (value !== undefined) {
        quantum[j] = value;
        continue;
      }
      if (ch === CR || ch === LF) {
        j--;
        continue;
      }
      if (ch !== PAD) return corrupt(si - 1);
      // Padding: only in the third or fourth place; "==" after two characters.
      if (j < 2) return corrupt(si - 1);
      if (j === 2) {
        skipNewlines();
        if (si === src.length) return corrupt(src.length); // not enough padding
        if (src[si] !== PAD) return corrupt(si - 1);
        si++;
      }
      skipNewlines();
      if (si < src.length) return corrupt(si); // trailing garbage
      dlen = j;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const value = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((value >> 16) & 0xff);
    if (dlen > 2) out.push((value >> 8) & 0xff);
    if (dlen > 3) out.push(value & 0xff);
    skipNewlines();
  }
  return { ok: true, bytes: Uint8Array.from(out) };
}

/** Encodes bytes as standard, padded base64 (base64.StdEncoding.EncodeToString). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const value = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(value >> 18) & 63]! + ALPHABET[(value >> 12) & 63]!;
    out += b === undefined ? '=' : ALPHABET[(value >> 6) & 63]!;
    out += c === undefined ? '=' : ALPHABET[value & 63]!;
  }
  return out;
}

/** UTF-8 text as base64 (what the API server stores for a Secret's stringData value). */
export const encodeBase64Text = (text: string): string => encodeBase64(new TextEncoder().encode(text));
