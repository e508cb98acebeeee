/**
 * Splits a command-line string into arguments the way a POSIX shell would (and Python's
 * `shlex.split`, which the reference worker uses for `VLLM_EXTRA_ARGS`), without running one:
 * whitespace separates, single quotes keep everything literally, double quotes keep
 * everything but `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes the
 * next character. Nothing is expanded.
 */

export type SplitArgs = { ok: true; args: string[] } | { ok: false; problem: string };

/** Characters a backslash escapes inside double quotes; elsewhere there it is literal. */
const DOUBLE_QUOTE_ESCAPES = '"\\$`';

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
