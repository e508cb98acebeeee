/**
 * vLLM's output, line by line: the log level a line gets, and whether it says the engine is
 * done for (worker.md, "vLLM output"). Fatal patterns are matched first.
 */

/**
 * The host is bad: retrying here will not help. worker.md's list, then the host faults of
 * test/fixtures/vllm/log-lines (no GPU visible, the driver not up, ECC, a driver too old).
 */
export const FATAL_PATTERNS = [
  'CUDA driver version is insufficient',
  'CUDA version.*incompatible',
  'cannot open shared object file.*libcuda',
  'Incompatible CUDA version',
  'forward compatibility was attempted on non supported HW',
  'unsupported display driver / cuda driver combination',
  'No CUDA GPUs are available',
  'Error 802: system not yet initialized',
  'uncorrectable ECC error',
  'NVIDIA driver on your system is too old',
] as const;

/**
 * Try again, here or elsewhere. The root causes of a failed start-up come first, so the
 * message names them rather than the "Engine core initialization failed" that follows; then
 * worker.md's list, with PyTorch 2.8's `torch.AcceleratorError` for CUDA errors.
 */
export const RETRYABLE_PATTERNS = [
  'No available memory for the cache blocks',
  'KV cache is needed',
  'less than desired GPU memory utilization',
  'AcceleratorError.*CUDA error',
  'CUDA out of memory',
  'RuntimeError.*CUDA',
  'RuntimeError.*initialization failed',
  'Engine core initialization failed',
  'OutOfMemoryError',
  'Failed to load model',
  'Model .* does not exist',
  'Segmentation fault',
  'core dumped',
  'NCCL error',
  'AssertionError',
  'torch\\.cuda\\.OutOfMemoryError',
  'Cannot allocate memory',
  'GPU memory allocation failed',
  'Failed to initialize',
  'Error loading model weights',
  'Failed core proc',
  'MaxRetryError.*huggingface\\.co',
  'Failed to resolve.*huggingface\\.co',
  'NameResolutionError.*huggingface\\.co',
  'Name or service not known.*huggingface\\.co',
  'Invalid repository ID or local directory',
] as const;

export type LineClass = { kind: 'fatal' | 'retryable'; pattern: string };

const compiled = [
  ...FATAL_PATTERNS.map((pattern) => ({
    kind: 'fatal' as const,
    pattern,
    re: new RegExp(pattern, 'i'),
  })),
  ...RETRYABLE_PATTERNS.map((pattern) => ({
    kind: 'retryable' as const,
    pattern,
    re: new RegExp(pattern, 'i'),
  })),
];

/**
 * Lines about one request, never about the engine. vLLM's request logger (on by default
 * before 0.10.2, `--enable-log-requests` since, and `--enable-log-outputs`) prints users'
 * prompts and outputs: text anyone can fill with "CUDA out of memory". And vLLM's and
 * vLLM-Omni's servings log a request naming an unknown model as `Error with model ...: The
 * model \`x\` does not exist.` (serving_engine.py `_check_model`), which must not read as the
 * start-up failure `Model .* does not exist`.
 */
const REQUEST_LOG =
  /\b(Received request|Generated response|Request \S+ details:|Error with model)|The model `[^`]*` does not exist/;

/** Whether a line is the request logger's (users' text, never read for failures). */
export function isRequestLog(line: string): boolean {
  return REQUEST_LOG.test(line);
}

/** The first pattern a line matches, fatal ones first; undefined for an ordinary line. */
export function classifyLine(line: string): LineClass | undefined {
  if (isRequestLog(line)) return undefined;
  for (const { kind, pattern, re } of compiled) {
    if (re.test(line)) return { kind, pattern };
  }
  return undefined;
}

/** `error` if the line contains ERROR or Error, `warn` for WARNING or Warning, else `info`. */
export function lineLevel(line: string): 'error' | 'warn' | 'info' {
  if (line.includes('ERROR') || line.includes('Error')) return 'error';
  if (line.includes('WARNING') || line.includes('Warning')) return 'warn';
  return 'info';
}
