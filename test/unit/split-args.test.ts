import { describe, expect, it } from 'vitest';
import { splitArgs, splitExtraArgs } from '../../src/split-args.ts';

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

describe('splitExtraArgs (VLLM_EXTRA_ARGS)', () => {
  it.each([
    ['', []],
    // The reference split on whitespace: a JSON value keeps its quotes (issue 16, item 3).
    [
      '--override-generation-config {"temperature":0.5}',
      ['--override-generation-config', '{"temperature":0.5}'],
    ],
    [
      `--hf-overrides {"rope_scaling":{"type":"yarn"}}`,
      ['--hf-overrides', '{"rope_scaling":{"type":"yarn"}}'],
    ],
    ["--regex a\\d+ --x=it's", ['--regex', 'a\\d+', "--x=it's"]],
    [`--json '{"a": [1, 2]}' --t "{{ a b }}"`, ['--json', '{"a": [1, 2]}', '--t', '{{ a b }}']],
    [`'it'\\''s' 'RuntimeError: CUDA out of memory'`, ["it's", 'RuntimeError: CUDA out of memory']],
  ])('%j → %j', (text, args) => {
    expect(splitExtraArgs(text)).toEqual({ ok: true, args });
  });

  it('rejects a quote that opens a word and never closes', () => {
    expect(splitExtraArgs(`--t "{{ a`)).toEqual({ ok: false, problem: 'has an unclosed " quote' });
  });
});
