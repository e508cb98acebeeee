/**
 * Doc comments read from a machine's source text: the file's top comment and the `/** … *\/`
 * line above each state key. xstate drops comments, so they come from the file; a small
 * tokenizer is enough for machine files (it skips strings, templates and other comments, and
 * assumes no regular-expression literal holds a brace or a quote inside `createMachine`).
 */
import type { StateComments } from './graph.ts';

type Token = { kind: 'doc' | 'word' | 'string' | 'punct'; text: string };

/** What `machineGraph` takes: the state comments, and under '' the file's top comment. */
export function sourceComments(source: string): StateComments {
  const comments = new Map(stateComments(source));
  const top = leadingComment(source);
  if (top !== undefined) comments.set('', top);
  return comments;
}

/** The first paragraph of the comment that opens the file, on one line; undefined if none. */
export function leadingComment(source: string): string | undefined {
  const match = /^\s*\/\*\*([\s\S]*?)\*\//.exec(source);
  if (match === null) return undefined;
  const lines = match[1]!.split('\n').map((line) => line.replace(/^\s*\*?\s?/, '').trimEnd());
  const paragraph: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      if (paragraph.length > 0) break;
      continue;
    }
    paragraph.push(line.trim());
  }
  return paragraph.length === 0 ? undefined : paragraph.join(' ');
}

/**
 * The doc comment above each state of the machine built by the file's `createMachine({...})`,
 * keyed by the state's path joined with '.'. States without a comment are absent.
 */
export function stateComments(source: string): StateComments {
  const tokens = tokenize(source);
  const out = new Map<string, string>();
  const start = tokens.findIndex(
    (t, i) =>
      t.text === 'createMachine' && tokens[i + 1]?.text === '(' && tokens[i + 2]?.text === '{',
  );
  if (start >= 0) parseObject(tokens, start + 2, [], false, out);
  return out;
}

/** Reads the object literal opening at `i`; returns the index after its closing brace. */
function parseObject(
  tokens: Token[],
  i: number,
  path: string[],
  isStates: boolean,
  out: Map<string, string>,
): number {
  let at = i + 1;
  while (at < tokens.length) {
    let doc: string | undefined;
    while (tokens[at]?.kind === 'doc') doc = tokens[at++]!.text;
    const key = tokens[at];
    if (key === undefined || key.text === '}') return at + 1;
    const isKey = (key.kind === 'word' || key.kind === 'string') && tokens[at + 1]?.text === ':';
    if (!isKey) {
      at = skipValue(tokens, at);
    } else {
      at += 2;
      const opensObject = tokens[at]?.text === '{';
      if (isStates) {
        if (doc !== undefined) out.set([...path, key.text].join('.'), doc);
        at = opensObject
          ? parseObject(tokens, at, [...path, key.text], false, out)
          : skipValue(tokens, at);
      } else if (key.text === 'states' && opensObject) {
        at = parseObject(tokens, at, path, true, out);
      } else {
        at = skipValue(tokens, at);
      }
    }
    if (tokens[at]?.text === ',') at += 1;
  }
  return at;
}

/** Skips one property value (or spread): up to the next ',' or the closing brace, balanced. */
function skipValue(tokens: Token[], i: number): number {
  let depth = 0;
  let at = i;
  for (; at < tokens.length; at += 1) {
    const text = tokens[at]!.kind === 'punct' ? tokens[at]!.text : '';
    if (text === '(' || text === '{' || text === '[') depth += 1;
    else if (text === ')' || text === '}' || text === ']') {
      if (depth === 0) return at;
      depth -= 1;
    } else if (text === ',' && depth === 0) return at;
  }
  return at;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) i += 1;
    else if (source.startsWith('/**', i) && !source.startsWith('/**/', i)) {
      const end = endOf(source, '*/', i + 3);
      tokens.push({ kind: 'doc', text: docText(source.slice(i + 3, end - 2)) });
      i = end;
    } else if (source.startsWith('/*', i)) i = endOf(source, '*/', i + 2);
    else if (source.startsWith('//', i)) i = endOf(source, '\n', i + 2);
    else if (c === "'" || c === '"' || c === '`') {
      const end = stringEnd(source, i);
      tokens.push({ kind: 'string', text: source.slice(i + 1, end - 1) });
      i = end;
    } else {
      const word = /^[\w$]+/.exec(source.slice(i, i + 200))?.[0];
      tokens.push(word ? { kind: 'word', text: word } : { kind: 'punct', text: c });
      i += word ? word.length : 1;
    }
  }
  return tokens;
}

function endOf(source: string, marker: string, from: number): number {
  const at = source.indexOf(marker, from);
  return at < 0 ? source.length : at + marker.length;
}

/** The index after the string or template literal opening at `i` (`${…}` may nest). */
function stringEnd(source: string, i: number): number {
  const quote = source[i]!;
  let depth = 0;
  for (let at = i + 1; at < source.length; at += 1) {
    const c = source[at]!;
    if (c === '\\') at += 1;
    else if (depth > 0 && (c === "'" || c === '"' || c === '`')) at = stringEnd(source, at) - 1;
    else if (quote === '`' && source.startsWith('${', at)) {
      depth += 1;
      at += 1;
    } else if (depth > 0 && c === '{') depth += 1;
    else if (depth > 0 && c === '}') depth -= 1;
    else if (depth === 0 && c === quote) return at + 1;
  }
  return source.length;
}

function docText(body: string): string {
  return body
    .split('\n')
    .map((line) => line.replace(/^\s*\*?\s?/, '').trim())
    .filter((line) => line !== '')
    .join(' ');
}
