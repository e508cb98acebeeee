/**
 * The vLLM command line from the environment: `$VLLM_SERVE_COMMAND serve $VLLM_MODEL --host H
 * --port P --served-model-name N <VLLM_EXTRA_ARGS>`, quotes honoured, no shell.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import {
  engineApiKeyOf,
  engineModeOf,
  type ServeSettings,
  serveCommandLine,
  serveSettingsOf,
} from '../../../src/engine/command.ts';
import { CasolaError } from '../../../src/errors.ts';

/** The settings the vLLM worker builds from its configuration. */
function fromEnvironment(env: Record<string, string>): ServeSettings {
  const loaded = loadConfig({
    CASOLA_WS_URL: 'ws://queue.local',
    CASOLA_CONFIG_ID: 'cfg',
    VLLM_MODEL: 'org/model',
    ...env,
  });
  if (!loaded.ok) throw loaded.error;
  return serveSettingsOf(loaded.config);
}

const SERVE_ARGS = ['--host', '127.0.0.1', '--port', '8000', '--served-model-name', 'default'];

describe('serveCommandLine', () => {
  it('runs `vllm serve` with the defaults', () => {
    expect(serveCommandLine(fromEnvironment({}))).toEqual({
      file: 'vllm',
      args: ['serve', 'org/model', ...SERVE_ARGS],
    });
  });

  it('splits a VLLM_SERVE_COMMAND of several words: the first is the executable', () => {
    const settings = fromEnvironment({ VLLM_SERVE_COMMAND: 'node dist/cli.js mock-vllm' });
    expect(serveCommandLine(settings)).toEqual({
      file: 'node',
      args: ['dist/cli.js', 'mock-vllm', 'serve', 'org/model', ...SERVE_ARGS],
    });
  });

  it('keeps a quoted executable path with spaces in one piece', () => {
    const settings = fromEnvironment({ VLLM_SERVE_COMMAND: `"/opt/my tools/vllm" --debug` });
    expect(serveCommandLine(settings)).toEqual({
      file: '/opt/my tools/vllm',
      args: ['--debug', 'serve', 'org/model', ...SERVE_ARGS],
    });
  });

  it('appends VLLM_EXTRA_ARGS with quoted values as single arguments, unexpanded', () => {
    const settings = fromEnvironment({
      VLLM_HOST: '0.0.0.0',
      VLLM_PORT: '9000',
      VLLM_SERVED_MODEL_NAME: 'qwen',
      VLLM_EXTRA_ARGS: `--max-model-len 4096 --chat-template "{{ messages }}" --override-generation-config '{"temperature": 0.5}' --download-dir $HOME/x`,
    });
    expect(serveCommandLine(settings)).toEqual({
      file: 'vllm',
      args: [
        'serve',
        'org/model',
        '--host',
        '0.0.0.0',
        '--port',
        '9000',
        '--served-model-name',
        'qwen',
        '--max-model-len',
        '4096',
        '--chat-template',
        '{{ messages }}',
        '--override-generation-config',
        '{"temperature": 0.5}',
        '--download-dir',
        '$HOME/x',
      ],
    });
  });

  it.for([
    ['', 'VLLM_SERVE_COMMAND names no executable'],
    ["'' serve", 'VLLM_SERVE_COMMAND names no executable'],
    ['"vllm', 'VLLM_SERVE_COMMAND has an unclosed " quote'],
  ])('refuses a VLLM_SERVE_COMMAND that names no executable (%j)', ([serveCommand, problem]) => {
    const settings = { ...fromEnvironment({}), serveCommand: serveCommand as string };
    expect(() => serveCommandLine(settings)).toThrow(CasolaError);
    expect(() => serveCommandLine(settings)).toThrow(
      `${problem}: set it to the vLLM executable, e.g. vllm`,
    );
  });
});

describe('omni mode (vLLM-Omni runs as omni only with --omni)', () => {
  it.each([
    [{ VLLM_SERVE_COMMAND: 'vllm-omni' }, 'omni'],
    [{ VLLM_SERVE_COMMAND: '/usr/local/bin/vllm-omni' }, 'omni'],
    [{ VLLM_SERVE_COMMAND: 'vllm-omni', VLLM_OMNI: 'false' }, 'vllm'],
    [{ VLLM_OMNI: 'true' }, 'omni'],
    [{}, 'vllm'],
    [{ VLLM_EXTRA_ARGS: '--omni' }, 'omni'],
  ])('%j is %s', (env, mode) => {
    expect(engineModeOf(fromEnvironment(env))).toBe(mode);
  });

  it('passes --omni to vllm-omni, after the model, once', () => {
    const settings = fromEnvironment({ VLLM_SERVE_COMMAND: 'vllm-omni' });
    expect(serveCommandLine(settings).args).toEqual([
      'serve',
      'org/model',
      '--omni',
      ...SERVE_ARGS,
    ]);
    const given = fromEnvironment({ VLLM_SERVE_COMMAND: 'vllm-omni', VLLM_EXTRA_ARGS: '--omni' });
    expect(serveCommandLine(given).args.filter((arg) => arg === '--omni')).toHaveLength(1);
  });

  it('passes no --omni when VLLM_OMNI=false', () => {
    const settings = fromEnvironment({ VLLM_SERVE_COMMAND: 'vllm-omni', VLLM_OMNI: 'false' });
    expect(serveCommandLine(settings).args).not.toContain('--omni');
  });
});

describe("vLLM's API key", () => {
  it.each([
    [{}, undefined],
    [{ VLLM_API_KEY: 'env-key' }, 'env-key'],
    [{ VLLM_API_KEY: 'env-key', VLLM_EXTRA_ARGS: '--api-key flag-key' }, 'flag-key'],
    [{ VLLM_EXTRA_ARGS: '--api-key=a --max-model-len 4 --api-key b' }, 'b'],
  ])('%j → %s', (env, key) => {
    expect(engineApiKeyOf(fromEnvironment(env))).toBe(key);
  });
});
