/**
 * vLLM's output, line by line: the log level a line gets, and whether it says the engine is
 * done for (worker.md, "vLLM output"). Fatal patterns are matched first.
 */

/** The host is bad: retrying here will not help. */
export const FATAL_PATTERNS = [
  'CUDA driver version is insufficient',
  'CUDA version.*incompatible',
  'cannot open shared object file.*libcuda',
  'Incompatible CUDA version',
  'forward compatibility was attempted on non supported HW',
  'unsupported display driver / cuda driver combination',
] as const;

/** Try again, here or elsewhere. */
export const RETRYABLE_PATTERNS = [
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
 * vLLM's request logger (on by default before 0.10.2, `--enable-log-requests` since, and
 * `--enable-log-outputs`) prints users' prompts and outputs: text anyone can fill with "CUDA
 * out of memory". Those lines are never classified.
 */
const REQUEST_LOG = /\b(Received request|Generated response|Request \S+ details:)/;

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
