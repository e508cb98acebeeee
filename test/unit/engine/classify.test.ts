/**
 * worker.md "vLLM output": every fatal and retryable pattern, matched case-insensitively,
 * fatal first; the broad patterns Triton prints harmlessly left out; and the level rule.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyLine,
  FATAL_PATTERNS,
  lineLevel,
  RETRYABLE_PATTERNS,
} from '../../../src/engine/classify.ts';

/** [pattern, a line vLLM (or its libraries) prints that it must catch]. */
const FATAL: Array<[string, string]> = [
  [
    'CUDA driver version is insufficient',
    'RuntimeError: CUDA driver version is insufficient for CUDA runtime version',
  ],
  ['CUDA version.*incompatible', 'The installed CUDA version 12.1 is incompatible with the driver'],
  [
    'cannot open shared object file.*libcuda',
    'OSError: libcuda.so.1: cannot open shared object file: No such file or directory (libcuda)',
  ],
  ['Incompatible CUDA version', 'Incompatible CUDA version: 12.8 found, 12.4 required'],
  [
    'forward compatibility was attempted on non supported HW',
    'cudaErrorCompatNotSupportedOnDevice: forward compatibility was attempted on non supported HW',
  ],
  [
    'unsupported display driver / cuda driver combination',
    'CUDA error 803: system has unsupported display driver / cuda driver combination',
  ],
  // Host faults beyond worker.md (issue 16; the lines are in test/fixtures/vllm/log-lines).
  ['No CUDA GPUs are available', 'RuntimeError: No CUDA GPUs are available'],
  [
    'Error 802: system not yet initialized',
    'cudaGetDeviceCount(). Error 802: system not yet initialized',
  ],
  [
    'uncorrectable ECC error',
    'torch.AcceleratorError: CUDA error: uncorrectable ECC error encountered',
  ],
  [
    'NVIDIA driver on your system is too old',
    'RuntimeError: The NVIDIA driver on your system is too old (found version 11040).',
  ],
];

const RETRYABLE: Array<[string, string]> = [
  // Start-up root causes and PyTorch 2.8's CUDA error type, ahead of worker.md's list (issue 16).
  [
    'No available memory for the cache blocks',
    'ValueError: No available memory for the cache blocks.',
  ],
  [
    'KV cache is needed',
    '(10.00 GiB KV cache is needed, which is larger than the available KV cache memory',
  ],
  [
    'less than desired GPU memory utilization',
    'ValueError: Free memory on device (12.38/79.19 GiB) on startup is less than desired GPU memory utilization (0.9, 71.27 GiB).',
  ],
  ['AcceleratorError.*CUDA error', 'torch.AcceleratorError: CUDA error: an illegal memory access'],
  ['CUDA out of memory', 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB'],
  ['RuntimeError.*CUDA', 'RuntimeError: CUDA error: an illegal memory access was encountered'],
  ['RuntimeError.*initialization failed', 'RuntimeError: NCCL initialization failed'],
  ['Engine core initialization failed', 'Engine core initialization failed. See root cause above.'],
  ['OutOfMemoryError', 'OutOfMemoryError: ran out of host memory while loading'],
  ['Failed to load model', 'Failed to load model meta-llama/Llama-3-8B'],
  ['Model .* does not exist', 'Model org/missing-model does not exist on the hub'],
  ['Segmentation fault', 'Fatal Python error: Segmentation fault'],
  ['core dumped', 'Aborted (core dumped)'],
  ['NCCL error', 'torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:1970'],
  ['AssertionError', 'AssertionError: tensor parallel size must divide the number of heads'],
  // Shadowed by `OutOfMemoryError` (earlier in worker.md's list): kept as listed; such a
  // line is retryable either way.
  ['torch\\.cuda\\.OutOfMemoryError', 'torch.cuda.OutOfMemoryError: allocation of 4 GiB refused'],
  ['Cannot allocate memory', 'OSError: [Errno 12] Cannot allocate memory'],
  ['GPU memory allocation failed', 'GPU memory allocation failed for the KV cache'],
  ['Failed to initialize', 'Failed to initialize the tokenizer'],
  ['Error loading model weights', 'Error loading model weights from /models/llama'],
  ['Failed core proc', 'Exception: Failed core proc(s): {EngineCore_0: 1}'],
  [
    'MaxRetryError.*huggingface\\.co',
    "urllib3.exceptions.MaxRetryError: HTTPSConnectionPool(host='huggingface.co', port=443)",
  ],
  [
    'Failed to resolve.*huggingface\\.co',
    "Failed to resolve 'huggingface.co' ([Errno -3] Temporary failure in name resolution)",
  ],
  [
    'NameResolutionError.*huggingface\\.co',
    'NameResolutionError: Failed to look up huggingface.co',
  ],
  [
    'Name or service not known.*huggingface\\.co',
    '[Errno -2] Name or service not known (host huggingface.co)',
  ],
  [
    'Invalid repository ID or local directory',
    'ValueError: Invalid repository ID or local directory specified: /nope',
  ],
];

/** Listed after `OutOfMemoryError`, which matches every line it does. */
const SHADOWED = 'torch\\.cuda\\.OutOfMemoryError';

/** The first pattern in the list that matches the line, as classifyLine must report it. */
function firstMatch(list: readonly string[], line: string): string | undefined {
  return list.find((pattern) => new RegExp(pattern, 'i').test(line));
}

describe('classifyLine', () => {
  it("has worker.md's patterns and issue 16's, in order", () => {
    expect([...FATAL_PATTERNS]).toEqual(FATAL.map(([pattern]) => pattern));
    expect([...RETRYABLE_PATTERNS]).toEqual(RETRYABLE.map(([pattern]) => pattern));
  });

  it.for(FATAL)('fatal: %s', ([pattern, line]) => {
    for (const text of [line, line.toLowerCase(), line.toUpperCase()]) {
      expect(classifyLine(text)).toEqual({ kind: 'fatal', pattern });
    }
  });

  it.for(RETRYABLE)('retryable: %s', ([pattern, line]) => {
    expect(new RegExp(pattern, 'i').test(line)).toBe(true);
    const reported = pattern === SHADOWED ? 'OutOfMemoryError' : pattern;
    for (const text of [line, line.toLowerCase(), line.toUpperCase()]) {
      expect(classifyLine(text)).toEqual({ kind: 'retryable', pattern: reported });
    }
  });

  it('matches fatal patterns first when a line matches both kinds', () => {
    const line = 'RuntimeError: CUDA driver version is insufficient for CUDA runtime version';
    expect(firstMatch(RETRYABLE_PATTERNS, line)).toBe('RuntimeError.*CUDA');
    expect(classifyLine(line)).toEqual({
      kind: 'fatal',
      pattern: 'CUDA driver version is insufficient',
    });
  });

  it.for([
    '/usr/bin/ld: skipping incompatible /usr/lib/i386-linux-gnu/libcuda.so when searching for -lcuda',
    'collect2: error: ld returned 1 exit status',
    'INFO 11-28 18:00:00 [loader.py:1] Loading weights took 3.2 seconds',
    'INFO:     127.0.0.1:4242 - "GET /health HTTP/1.1" 200 OK',
    // vLLM's request logger prints what users wrote: a prompt must not stop the worker.
    "INFO 11-28 18:00:00 [logger.py:43] Received request chatcmpl-1: prompt: 'torch.cuda.OutOfMemoryError: CUDA out of memory. How do I fix it?', params: SamplingParams(n=1)",
    "DEBUG 11-28 18:00:00 [logger.py:52] Request chatcmpl-2 details: prompt: 'Segmentation fault (core dumped) in my C program', prompt_token_ids: [1, 2]",
    "INFO 11-28 18:00:01 [logger.py:71] Generated response chatcmpl-3: output: 'Failed to initialize NCCL means...', finish_reason: stop",
  ])('leaves an ordinary line (and Triton noise) unclassified: %s', (line) => {
    expect(classifyLine(line)).toBeUndefined();
  });
});

describe('lineLevel', () => {
  it.for<[string, 'error' | 'warn' | 'info']>([
    ['ERROR 11-28 18:00:00 [core.py:1] EngineCore failed', 'error'],
    ['ValueError: bad value', 'error'],
    ['WARNING 11-28 18:00:00 [config.py:1] casting', 'warn'],
    ['UserWarning: TypedStorage is deprecated', 'warn'],
    ['WARNING: an Error inside a warning', 'error'],
    ['an error and a warning in lower case', 'info'],
    ['INFO 11-28 18:00:00 [api_server.py:1] ready', 'info'],
  ])('%s → %s', ([line, level]) => {
    expect(lineLevel(line)).toBe(level);
  });
});
