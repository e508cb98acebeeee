import { type Command, InvalidArgumentError } from 'commander';

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new InvalidArgumentError('expected a whole number of 0 or more');
  }
  return parsed;
}

type ServeFlags = {
  host: string;
  port: number;
  controlPort: number;
  servedModelName?: string;
  disableUvicornAccessLog?: boolean;
  embeddingDimensions: number;
  failWithLine?: string;
  failAfterMs: number;
  exitCode: number;
  startupDelayMs: number;
  neverHealthy?: boolean;
  unhealthyAfterMs?: number;
  unhealthyForMs?: number;
  crashOnRequest?: number;
  responseDelayMs: number;
  queueDepth: number;
  instant?: boolean;
  ignoreSigterm?: boolean;
  modelsFail?: boolean;
  engineCoreLingerMs?: number;
  omni?: boolean;
  apiKey?: string;
};

const CONTROL_HELP = `
While it loads (--startup-delay-ms), the API port is bound but not listened on, as vLLM's:
connections are refused. The control routes below answer on --control-port from the start
(its URL is printed at start: "mock-vllm control routes (/mock/*) on http://..."), and on the
API port too once it listens.

Runtime control (for tests):
  POST /mock/health {"healthy": false|true}   lose or regain health (after start-up)
  POST /mock/queue-depth {"depth": N}         set vllm:num_requests_waiting
  POST /mock/release                          answer every request held by --response-delay-ms now
  POST /mock/ready                            finish loading now (ends --startup-delay-ms early)
  POST /mock/print {"line": "..."}            print a line verbatim (e.g. a CUDA error)
  POST /mock/exit {"code": N}                 answer, then exit with N (default --exit-code)
  GET  /mock/state                            phase, running requests, queue depth, counts
  GET  /mock/aborted                           requests closed by their client before the answer,
                                              each with closed_at_ms (epoch ms, sub-ms precision)
  SIGUSR1 / SIGUSR2                           lose / regain health
Any other vllm serve argument (e.g. --tensor-parallel-size 2) is accepted and ignored.`;

export function registerMockVllmCommand(program: Command): void {
  program
    .command('mock-vllm')
    .description('a fake `vllm serve` for tests, demos and benchmarks (no GPU)')
    .command('serve')
    .description('serve the vLLM HTTP surface the worker uses, with optional injected failures')
    .argument('<model>', 'model to "serve" (only printed)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'API port: bound at start, listened on once loaded', count, 8000)
    .option(
      '--control-port <port>',
      'port of the /mock control routes, up from the start (0: a free one)',
      count,
      0,
    )
    .option('--served-model-name <name>', 'the model name requests must use (default: <model>)')
    .option('--disable-uvicorn-access-log', 'no access line per request')
    .option('--omni', 'serve as vLLM-Omni: speech and the /v1/videos API too (vllm serve --omni)')
    .option(
      '--api-key <key>',
      'demand this bearer token on /v1 (default: $VLLM_API_KEY, else none)',
    )
    .option('--embedding-dimensions <n>', 'embedding length when a request names none', count, 32)
    .option('--fail-with-line <line>', 'print this line verbatim, then exit with --exit-code')
    .option('--fail-after-ms <ms>', 'when --fail-with-line fires, ms after start', count, 0)
    .option('--exit-code <code>', 'exit code of every injected exit', count, 1)
    .option(
      '--startup-delay-ms <ms>',
      'load the "model" this long; the API port refuses connections meanwhile',
      count,
      0,
    )
    .option('--never-healthy', 'start-up never completes: the API port refuses connections')
    .option('--unhealthy-after-ms <ms>', 'lose health this long after start-up completed', count)
    .option(
      '--unhealthy-for-ms <ms>',
      'regain health this long after losing it (default: never)',
      count,
    )
    .option('--crash-on-request <n>', 'exit while the Nth inference request is in flight', count)
    .option('--response-delay-ms <ms>', 'delay before each inference answer', count, 0)
    .option('--queue-depth <n>', 'reported as vllm:num_requests_waiting', count, 0)
    .option('--instant', 'answer every request at once with a minimal valid body (benchmarks)')
    .option('--ignore-sigterm', 'keep serving on SIGTERM, as a hung vLLM does (SIGKILL ends it)')
    .option('--models-fail', '/v1/models answers 500 while /health is fine')
    .option(
      '--engine-core-linger-ms <ms>',
      'run an engine core child sharing stdout that exits this long after the server is gone',
      count,
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', CONTROL_HELP)
    .action(async (model: string, flags: ServeFlags, command: Command) => {
      const { runMockVllmServe } = await import('../tools/mock-vllm/command.ts');
      const { disableUvicornAccessLog, apiKey = process.env.VLLM_API_KEY, ...rest } = flags;
      await runMockVllmServe({
        ...rest,
        ...(apiKey ? { apiKey } : {}),
        model,
        disableAccessLog: disableUvicornAccessLog ?? false,
        ignoredArgs: command.args.slice(1),
      });
    });
}
