/**
 * Issue 18, item 1: on a Node.js older than the dependencies need, every entry point (the CLI,
 * the demo, the SDK import) prints one line and exits 1, instead of a dependency's TypeError.
 * The old Node is played by Node 24 with a preload that reports v20.20.2 and removes the two
 * functions whose absence crashed execa and the queue on Node 20; a dependency that loaded
 * before the check would still crash on them.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MIN_NODE, nodeVersionProblem } from '../../src/node-version.ts';

const NODE_20 = [
  "Object.defineProperty(process, 'version', { value: 'v20.20.2' });",
  'delete Set.prototype.union;',
  'delete Promise.withResolvers;',
].join('');
const AS_NODE_20 = ['--import', `data:text/javascript,${encodeURIComponent(NODE_20)}`];
const LINE = 'casola-worker needs Node.js ≥ 22.19; this is v20.20.2 — see README';

describe('the Node.js version check', () => {
  it.each([
    ['the CLI', ['src/cli.ts', '--help']],
    ['the demo', ['src/cli.ts', 'demo']],
    ['the local queue', ['src/cli.ts', 'queue', '--port', '0']],
    ['the SDK import', ['--input-type=module', '-e', "await import('./src/index.ts');"]],
  ])('%s on Node 20: one line, exit 1', async (_name, args) => {
    const result = await execa('node', [...AS_NODE_20, ...args], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(LINE);
    expect(result.stdout).toBe('');
  });

  it('passes the minimum and newer versions, refuses older ones', () => {
    expect(nodeVersionProblem('v22.19.0')).toBeUndefined();
    expect(nodeVersionProblem('v24.1.0')).toBeUndefined();
    expect(nodeVersionProblem('v23.0.0')).toBeUndefined();
    expect(nodeVersionProblem('v22.18.1')).toBe(
      'casola-worker needs Node.js ≥ 22.19; this is v22.18.1 — see README',
    );
  });

  it("is package.json's engines.node, and no production dependency asks for more", async () => {
    const manifest = JSON.parse(await readFile('package.json', 'utf8'));
    expect(manifest.engines.node).toBe(`>=${MIN_NODE.join('.')}.0`);
    for (const name of Object.keys(manifest.dependencies)) {
      const dependency = JSON.parse(await readFile(`node_modules/${name}/package.json`, 'utf8'));
      const wanted = /(\d+)(?:\.(\d+))?/.exec(dependency.engines?.node ?? '0');
      const [major, minor] = [Number(wanted?.[1]), Number(wanted?.[2] ?? 0)];
      expect(major * 1000 + minor, name).toBeLessThanOrEqual(MIN_NODE[0] * 1000 + MIN_NODE[1]);
    }
  });
});
