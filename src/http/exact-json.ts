/**
 * JSON whose integers past 2^53 stay exact. A JavaScript number holds integers exactly only up
 * to 2^53; vLLM writes 64-bit ones (the seed it drew for a generation). Parsed here, such an
 * integer becomes a raw JSON value (`JSON.rawJSON`) that `JSON.stringify` writes back digit for
 * digit; everything else parses as `JSON.parse` parses it.
 */
import { z } from 'zod';

/** An integer too large for a number, as its JSON text. */
export type RawJson = { readonly rawJSON: string };

const json = JSON as typeof JSON & {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
};

/**
 * A number that starts with sixteen digits: the text may hold an integer past 2^53 (nine
 * quadrillion). The digits after a decimal point do not count: embeddings are full of them.
 */
const LONG_DIGITS = /(?:^|[[:,])\s*-?\d{16}/;
const INTEGER = /^-?\d+$/;

type Reviver = (key: string, value: unknown, context: { source?: string }) => unknown;

const keepLongIntegers: Reviver = (_key, value, context) =>
  typeof value === 'number' &&
  !Number.isSafeInteger(value) &&
  context.source !== undefined &&
  INTEGER.test(context.source)
    ? json.rawJSON(context.source)
    : value;

export function parseExactJson(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepLongIntegers as Parameters<typeof JSON.parse>[1]);
}

export function isRawJson(value: unknown): value is RawJson {
  return json.isRawJSON(value);
}

/** A number, or an integer past 2^53 kept as its digits. */
export const exactNumber = z.union([z.number(), z.custom<RawJson>(isRawJson)]);
