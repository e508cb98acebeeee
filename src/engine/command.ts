/**
 * The vLLM command line: `$VLLM_SERVE_COMMAND serve $VLLM_MODEL [--omni] --host H --port P
 * --served-model-name N [extra args]`, as an argument array (no shell); and what the worker
 * needs to know of the engine it starts: plain vLLM or vLLM-Omni, and the API key it demands.
 */
import path from 'node:path';
import type { WorkerConfig } from '../config.ts';
import { CasolaError } from '../errors.ts';
import { splitArgs } from '../split-args.ts';

/**
 * Which server answers: `vllm` (plain vLLM's OpenAI API) or `omni` (vLLM-Omni, `vllm serve
 * --omni`: vLLM's API plus speech and video generation).
 */
export type EngineMode = 'vllm' | 'omni';

export type ServeSettings = {
  /** `vllm`, `vllm-omni`, or e.g. `node dist/cli.js mock-vllm`; split honouring quotes. */
  serveCommand: string;
  model: string;
  host: string;
  port: number;
  servedModelName: string;
  /** Already split (VLLM_EXTRA_ARGS). */
  extraArgs: readonly string[];
  /** `VLLM_OMNI`: forces omni mode on or off. Default: on when the executable is `vllm-omni`. */
  omni?: boolean | undefined;
  /** `VLLM_API_KEY` from the environment, which vLLM reads too. Default unset. */
  apiKey?: string | undefined;
};

/** The vLLM settings of a worker's configuration. */
export function serveSettingsOf(config: WorkerConfig): ServeSettings {
  return {
    serveCommand: config.vllmServeCommand,
    model: config.vllmModel,
    host: config.vllmHost,
    port: config.vllmPort,
    servedModelName: config.vllmServedModelName,
    extraArgs: config.vllmExtraArgs,
    omni: config.vllmOmni,
    apiKey: config.vllmApiKey,
  };
}

/** The executable and its leading arguments, or a CasolaError naming VLLM_SERVE_COMMAND. */
function executableOf(settings: ServeSettings): [string, ...string[]] {
  const split = splitArgs(settings.serveCommand);
  if (!split.ok || split.args.length === 0 || split.args[0] === '') {
    const why = split.ok ? 'names no executable' : split.problem;
    throw new CasolaError(`VLLM_SERVE_COMMAND ${why}: set it to the vLLM executable, e.g. vllm`);
  }
  return split.args as [string, ...string[]];
}

/**
 * vLLM-Omni's CLI (`vllm` and `vllm-omni` alike) runs plain vLLM unless `--omni` is on the
 * command line (vllm_omni/entrypoints/cli/main.py, vllm-project/vllm-omni v0.11.0rc1), so the
 * omni image's `vllm-omni` means omni; `VLLM_OMNI` decides either way.
 */
export function engineModeOf(settings: ServeSettings): EngineMode {
  if (settings.omni !== undefined) return settings.omni ? 'omni' : 'vllm';
  if (settings.extraArgs.includes('--omni')) return 'omni';
  const split = splitArgs(settings.serveCommand);
  const file = split.ok ? split.args[0] : undefined;
  return file !== undefined && path.basename(file) === 'vllm-omni' ? 'omni' : 'vllm';
}

/**
 * The key vLLM demands on /v1 (its AuthenticationMiddleware): the last `--api-key` of
 * VLLM_EXTRA_ARGS (argparse keeps the last), else `VLLM_API_KEY`, which vLLM reads itself.
 */
export function engineApiKeyOf(settings: ServeSettings): string | undefined {
  let key = settings.apiKey;
  const args = settings.extraArgs;
  for (const [i, arg] of args.entries()) {
    if (arg === '--api-key' && args[i + 1] !== undefined) key = args[i + 1];
    else if (arg.startsWith('--api-key=')) key = arg.slice('--api-key='.length);
  }
  return key;
}

export function serveCommandLine(settings: ServeSettings): { file: string; args: string[] } {
  const [file, ...prefix] = executableOf(settings);
  const omni = engineModeOf(settings) === 'omni' && !settings.extraArgs.includes('--omni');
  const args = [
    ...prefix,
    'serve',
    settings.model,
    ...(omni ? ['--omni'] : []),
    '--host',
    settings.host,
    '--port',
    String(settings.port),
    '--served-model-name',
    settings.servedModelName,
    ...settings.extraArgs,
  ];
  return { file, args };
}
