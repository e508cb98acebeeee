/**
 * The vLLM command line: `$VLLM_SERVE_COMMAND serve $VLLM_MODEL --host H --port P
 * --served-model-name N [extra args]`, as an argument array (no shell).
 */
import type { WorkerConfig } from '../config.ts';
import { CasolaError } from '../errors.ts';
import { splitArgs } from '../split-args.ts';

export type ServeSettings = {
  /** `vllm`, `vllm-omni`, or e.g. `node dist/cli.js mock-vllm`; split honouring quotes. */
  serveCommand: string;
  model: string;
  host: string;
  port: number;
  servedModelName: string;
  /** Already split (VLLM_EXTRA_ARGS). */
  extraArgs: readonly string[];
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
  };
}

export function serveCommandLine(settings: ServeSettings): { file: string; args: string[] } {
  const split = splitArgs(settings.serveCommand);
  if (!split.ok || split.args.length === 0 || split.args[0] === '') {
    const why = split.ok ? 'names no executable' : split.problem;
    throw new CasolaError(`VLLM_SERVE_COMMAND ${why}: set it to the vLLM executable, e.g. vllm`);
  }
  const [file, ...prefix] = split.args as [string, ...string[]];
  const args = [
    ...prefix,
    'serve',
    settings.model,
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
