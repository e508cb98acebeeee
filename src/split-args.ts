/**
 * Splitting a command-line string into arguments without running a shell. `splitArgs` splits
 * as a POSIX shell would (`VLLM_SERVE_COMMAND`); `splitExtraArgs` keeps what the reference
 * worker passed (`VLLM_EXTRA_ARGS`). Nothing is expanded.
 */

export type SplitArgs = { ok: true; args: string[] } | { ok: false; problem: string };

/** Characters a backslash escapes inside double quotes; elsewhere there it is literal. */
const DOUBLE_QUOTE_ESCAPES = '"\\$`';

/**
 * As a POSIX shell would: whitespace separates, single quotes keep everything literally,
 * double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, and a backslash outside
 * quotes escapes the next character.
 */
export function splitArgs(text: string): SplitArgs {
  const args: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const next = text[i + 1];
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && next !== undefined && DOUBLE_QUOTE_ESCAPES.includes(next)) {
        word += next;
        i++;
      } else word += char;
    } else if (/\s/.test(char)) {
      if (word !== undefined) args.push(word);
      word = undefined;
    } else {
      word ??= '';
      if (char === "'" || char === '"') quote = char;
      else if (char !== '\\') word += char;
      else if (next === undefined) return { ok: false, problem: 'ends with a lone backslash' };
      else {
        word += next;
        i++;
      }
    }
  }
  if (quote !== undefined) return { ok: false, problem: `has an unclosed ${quote} quote` };
  if (word !== undefined) args.push(word);
  return { ok: true, args };
}

/**
 * `VLLM_EXTRA_ARGS`: the reference worker split it on whitespace only (`str.split()`), so a
 * word is passed as written, quotes and backslashes included: `{"temperature":0.5}` reaches
 * vLLM intact. A word that starts with a quote is shell-quoted (`'{"a": 1}'`, `"a b"`, the
 * worker's own test harness): it is split as `splitArgs` would, so it may hold whitespace.
 * Every configuration that started the reference worker keeps its words, except one that
 * begins with a quote, which the reference passed with its quotes to vLLM.
 */
export function splitExtraArgs(text: string): SplitArgs {
  const args: string[] = [];
  let rest = text.trimStart();
  while (rest !== '') {
    const quoted = rest.startsWith("'") || rest.startsWith('"');
    const end = quoted ? shellWordEnd(rest) : rest.search(/\s|$/);
    if (end === undefined) return { ok: false, problem: `has an unclosed ${rest[0]} quote` };
    const word = rest.slice(0, end);
    if (!quoted) args.push(word);
    else {
      const split = splitArgs(word);
      if (!split.ok) return split;
      args.push(...split.args);
    }
    rest = rest.slice(end).trimStart();
  }
  return { ok: true, args };
}

/** Where a shell word starting at 0 ends (unquoted whitespace or the end); undefined if a quote stays open. */
function shellWordEnd(text: string): number | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote === undefined && /\s/.test(char)) return i;
    if (char === '\\' && quote !== "'") i++;
    else if (quote === undefined && (char === "'" || char === '"')) quote = char;
    else if (char === quote) quote = undefined;
  }
  return quote === undefined ? text.length : undefined;
}
