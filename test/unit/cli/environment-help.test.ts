/**
 * Issue 18, item 7: `casola-worker run --help` lists every environment variable with its
 * default, generated from the configuration schema; each default shown, set as the variable,
 * configures the worker exactly as leaving it unset does. docs/configuration.md, which the
 * package ships, describes every one of them.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../../../src/cli/environment-help.ts';
import { loadConfig } from '../../../src/config.ts';
import { environmentSchema } from '../../../src/config-schema.ts';

const REQUIRED = { CASOLA_WS_URL: 'ws://q', CASOLA_CONFIG_ID: 'c', VLLM_MODEL: 'm' };

function configOf(env: Record<string, string>) {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw loaded.error;
  return loaded.config;
}

describe('casola-worker run --help', () => {
  it('lists every variable of the schema with its default or that it is required', async () => {
    const { stdout } = await execa('node', ['src/cli.ts', 'run', '--help']);
    for (const name of Object.keys(environmentSchema.shape)) {
      expect(stdout).toMatch(new RegExp(`^  ${name} \\((required|optional|default: .+)\\)$`, 'm'));
    }
    expect(stdout).toContain('  CASOLA_WS_URL (required)\n      set it to the queue');
    expect(stdout).toContain('  CASOLA_SHUTDOWN_GRACE_PERIOD (default: 5)\n');
    expect(stdout).toContain('  VLLM_STARTUP_TIMEOUT (default: 600)\n');
    expect(stdout).toContain('  VLLM_PORT (default: 8000)\n');
    expect(stdout).toContain('  CASOLA_MAX_FRAME_BYTES (default: 67108864)\n');
  });

  it('shows each default as the value that, once set, changes nothing', () => {
    const unset = configOf(REQUIRED);
    const defaults = environmentVariables().filter(
      (v) => !['required', 'optional', 'empty'].includes(v.default),
    );
    expect(defaults.length).toBeGreaterThan(10);
    for (const variable of defaults) {
      expect(configOf({ ...REQUIRED, [variable.name]: variable.default }), variable.name).toEqual(
        unset,
      );
    }
  });

  it('has every variable described in docs/configuration.md', async () => {
    const docs = await readFile('docs/configuration.md', 'utf8');
    for (const name of [...Object.keys(environmentSchema.shape), 'LOG_LEVEL']) {
      expect(docs, name).toContain(`\`${name}\``);
    }
  });

  it('gives in docs/configuration.md the default the schema has, as one would set it', async () => {
    const docs = await readFile('docs/configuration.md', 'utf8');
    const defaults = environmentVariables().filter(
      (v) => !['required', 'optional'].includes(v.default),
    );
    for (const { name, default: value } of defaults) {
      const row = docs
        .split('\n')
        .find((line) => line.startsWith('|') && line.includes(`\`${name}\``));
      const cell = row?.split('|')[2] ?? '';
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(cell, name).toMatch(new RegExp(`(^|[^\\d.])${escaped}([^\\d.]|$)`));
    }
  });
});
