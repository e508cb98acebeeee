import { describe, expect, it } from 'vitest';
import { splitArgs } from '../../src/split-args.ts';

describe('splitArgs', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['--a 1  --b\t2\n--c', ['--a', '1', '--b', '2', '--c']],
    [`--x 'a b' --y "c d"`, ['--x', 'a b', '--y', 'c d']],
    [`--json '{"a": [1, 2]}'`, ['--json', '{"a": [1, 2]}']],
    [`"say \\"hi\\" \\$HOME \\n"`, ['say "hi" $HOME \\n']],
    [`'it'\\''s'`, ["it's"]],
    ['a\\ b c', ['a b', 'c']],
    [`--empty '' ""`, ['--empty', '', '']],
    ['$HOME *.txt $(rm -rf /)', ['$HOME', '*.txt', '$(rm', '-rf', '/)']],
    [`pre"mid dle"post`, ['premid dlepost']],
  ])('%j → %j', (text, args) => {
    expect(splitArgs(text)).toEqual({ ok: true, args });
  });

  it.each([
    [`"open`, 'has an unclosed " quote'],
    [`'open`, "has an unclosed ' quote"],
    ['end\\', 'ends with a lone backslash'],
  ])('%j is rejected: %s', (text, problem) => {
    expect(splitArgs(text)).toEqual({ ok: false, problem });
  });
});
