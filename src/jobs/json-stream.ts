/**
 * JSON text in pieces: the same text `JSON.stringify` makes, produced a chunk at a time, so a
 * large result can be measured and uploaded without its whole text in memory at once (the
 * result itself is the only full copy).
 */
import { isRawJson } from '../http/exact-json.ts';

/** About how many characters each chunk holds. */
const CHUNK_CHARS = 64 * 1024;

type Piece = string;

/** The JSON text of `value` in chunks of about `chunkChars` characters. */
export function* jsonChunks(value: unknown, chunkChars = CHUNK_CHARS): Generator<string> {
  let buffered: Piece[] = [];
  let length = 0;
  for (const piece of pieces(toJsonable(value, ''), new Set())) {
    buffered.push(piece);
    length += piece.length;
    if (length >= chunkChars) {
      yield buffered.length === 1 ? buffered[0]! : buffered.join('');
      buffered = [];
      length = 0;
    }
  }
  if (length > 0 || buffered.length > 0) {
    yield buffered.length === 1 ? buffered[0]! : buffered.join('');
  }
}

/**
 * The UTF-8 size of `value`'s JSON text, counted chunk by chunk; counting stops once it is
 * past `limit` (the answer is then some number above it).
 */
export function jsonByteLength(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let bytes = 0;
  for (const chunk of jsonChunks(value)) {
    bytes += Buffer.byteLength(chunk);
    if (bytes > limit) break;
  }
  return bytes;
}

/** What JSON.stringify would serialise in place of `value` (toJSON, boxed primitives). */
function toJsonable(value: unknown, key: string): unknown {
  let current = value;
  if (typeof current === 'object' && current !== null && 'toJSON' in current) {
    const toJSON = (current as { toJSON: unknown }).toJSON;
    if (typeof toJSON === 'function') current = toJSON.call(current, key);
  }
  if (current instanceof Number || current instanceof String || current instanceof Boolean) {
    return current.valueOf();
  }
  return current;
}

/** Values JSON leaves out of objects (and writes as null in arrays). */
function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function* pieces(value: unknown, ancestors: Set<object>): Generator<Piece> {
  if (isRawJson(value)) {
    yield value.rawJSON;
  } else if (value === null || isSkipped(value)) {
    yield 'null';
  } else if (typeof value === 'string') {
    yield* stringPieces(value);
  } else if (typeof value === 'number') {
    yield Number.isFinite(value) ? String(value) : 'null';
  } else if (typeof value === 'boolean') {
    yield String(value);
  } else if (typeof value === 'bigint') {
    throw new TypeError('Do not know how to serialize a BigInt');
  } else {
    const object = value as object;
    if (ancestors.has(object)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(object);
    yield* Array.isArray(object) ? arrayPieces(object, ancestors) : objectPieces(object, ancestors);
    ancestors.delete(object);
  }
}

function* arrayPieces(array: unknown[], ancestors: Set<object>): Generator<Piece> {
  yield '[';
  for (let i = 0; i < array.length; i++) {
    if (i > 0) yield ',';
    yield* pieces(toJsonable(array[i], String(i)), ancestors);
  }
  yield ']';
}

function* objectPieces(object: object, ancestors: Set<object>): Generator<Piece> {
  yield '{';
  let first = true;
  for (const key of Object.keys(object)) {
    const item = toJsonable((object as Record<string, unknown>)[key], key);
    if (isSkipped(item)) continue;
    if (!first) yield ',';
    first = false;
    yield JSON.stringify(key);
    yield ':';
    yield* pieces(item, ancestors);
  }
  yield '}';
}

/**
 * What JSON.stringify escapes in a string: quotes, backslashes, controls, lone surrogates (with
 * the `u` flag a valid pair is one code point and does not match).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/u;

/** A long string in slices, each escaped on its own; a surrogate pair is never split. */
function* stringPieces(text: string): Generator<Piece> {
  if (text.length <= CHUNK_CHARS) {
    yield JSON.stringify(text);
    return;
  }
  yield '"';
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + CHUNK_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += 1;
    const slice = text.slice(start, end);
    // Most of a large string needs no escaping: the slice goes out as it is, not copied.
    yield NEEDS_ESCAPE.test(slice) ? JSON.stringify(slice).slice(1, -1) : slice;
    start = end;
  }
  yield '"';
}
