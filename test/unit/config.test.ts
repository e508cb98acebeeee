import { describe, expect, it } from 'vitest';
import {
  describeEnvironment,
  loadConfig,
  maskValue,
  queueSocketUrl,
  type WorkerConfig,
} from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

const REQUIRED = {
  CASOLA_WS_URL: 'wss://queue.example.com',
  CASOLA_CONFIG_ID: 'cfg-1',
  VLLM_MODEL: 'Qwen/Qwen2.5-0.5B-Instruct',
};

function load(env: Record<string, string | undefined>): WorkerConfig {
  const result = loadConfig({ ...REQUIRED, ...env });
  if (!result.ok) throw new Error(`expected a valid config, got ${result.error.message}`);
  return result.config;
}

function problems(env: Record<string, string | undefined>): readonly string[] {
  const result = loadConfig(env);
  if (result.ok) throw new Error('expected a ConfigError');
  expect(result.error).toBeInstanceOf(ConfigError);
  return result.error.problems;
}

describe('loadConfig defaults', () => {
  it('fills every default of worker.md when only the required variables are set', () => {
    expect(load({})).toEqual({
      wsUrl: 'wss://queue.example.com',
      configId: 'cfg-1',
      instanceId: `vast-${process.pid}`,
      queueId: 'vllm-queue',
      capacity: 1,
      heartbeatIntervalMs: 60_000,
      shutdownGracePeriodMs: 5_000,
      backpressureCheckIntervalMs: 5_000,
      backpressurePauseThreshold: 0,
      backpressureResumeThreshold: 0,
      logFlushIntervalMs: 30_000,
      vllmModel: 'Qwen/Qwen2.5-0.5B-Instruct',
      vllmHost: '127.0.0.1',
      vllmPort: 8000,
      vllmServedModelName: 'default',
      vllmExtraArgs: [],
      vllmServeCommand: 'vllm',
      vllmStartupTimeoutMs: 600_000,
      vllmUnhealthyTimeoutMs: 60_000,
      maxFrameBytes: 64 * 1024 * 1024,
    });
  });

  it('leaves the optional features off', () => {
    const config = load({});
    for (const key of [
      'apiUrl',
      'apiToken',
      'logsUrl',
      'metricsUrl',
      'expectedGpuName',
      'expectedVramGb',
      'statusPort',
      'inspect',
    ] as const) {
      expect(config[key]).toBeUndefined();
    }
  });

  it('treats an empty or blank value as missing, so the default applies', () => {
    const config = load({
      CASOLA_QUEUE_ID: '',
      CASOLA_CAPACITY: '  ',
      VLLM_PORT: '',
      CASOLA_API_URL: '',
      CASOLA_INSPECT: '',
    });
    expect(config).toMatchObject({ queueId: 'vllm-queue', capacity: 1, vllmPort: 8000 });
    expect(config.apiUrl).toBeUndefined();
    expect(config.inspect).toBeUndefined();
  });

  it('reads every variable when set, durations in (fractional) seconds', () => {
    const config = load({
      CASOLA_API_URL: 'https://api.example.com',
      CASOLA_API_TOKEN: 'tok',
      CASOLA_INSTANCE_ID: 'me',
      CASOLA_QUEUE_ID: 'q2',
      CASOLA_CAPACITY: '4',
      CASOLA_HEARTBEAT_INTERVAL: '0.2',
      CASOLA_SHUTDOWN_GRACE_PERIOD: '0',
      CASOLA_BACKPRESSURE_CHECK_INTERVAL: '0',
      CASOLA_BACKPRESSURE_PAUSE_THRESHOLD: '8',
      CASOLA_BACKPRESSURE_RESUME_THRESHOLD: '2',
      CASOLA_LOGS_URL: 'http://logs.local/ingest',
      CASOLA_LOG_FLUSH_INTERVAL: '1.5',
      CASOLA_METRICS_URL: 'http://metrics.local',
      CASOLA_EXPECTED_GPU_NAME: 'H100',
      CASOLA_EXPECTED_VRAM_GB: '79.5',
      VLLM_HOST: '0.0.0.0',
      VLLM_PORT: '9000',
      VLLM_SERVED_MODEL_NAME: 'qwen',
      VLLM_EXTRA_ARGS: `--max-model-len 4096 --chat-template "{{ a b }}" --x={"y":1} a\\b`,
      VLLM_SERVE_COMMAND: 'vllm-omni',
      VLLM_STARTUP_TIMEOUT: '30',
      VLLM_UNHEALTHY_TIMEOUT: '2.5',
      CASOLA_STATUS_PORT: '0',
      CASOLA_INSPECT: 'sky',
      CASOLA_MAX_FRAME_BYTES: '1024',
    });
    expect(config).toMatchObject({
      apiUrl: 'https://api.example.com',
      apiToken: 'tok',
      instanceId: 'me',
      queueId: 'q2',
      capacity: 4,
      heartbeatIntervalMs: 200,
      shutdownGracePeriodMs: 0,
      backpressureCheckIntervalMs: 0,
      backpressurePauseThreshold: 8,
      backpressureResumeThreshold: 2,
      logsUrl: 'http://logs.local/ingest',
      logFlushIntervalMs: 1_500,
      metricsUrl: 'http://metrics.local',
      expectedGpuName: 'H100',
      expectedVramGb: 79.5,
      vllmHost: '0.0.0.0',
      vllmPort: 9000,
      vllmServedModelName: 'qwen',
      vllmExtraArgs: [
        '--max-model-len',
        '4096',
        '--chat-template',
        '{{ a b }}',
        '--x={"y":1}',
        'a\\b',
      ],
      vllmServeCommand: 'vllm-omni',
      vllmStartupTimeoutMs: 30_000,
      vllmUnhealthyTimeoutMs: 2_500,
      statusPort: 0,
      inspect: { kind: 'sky' },
      maxFrameBytes: 1024,
    });
  });

  it('passes a JSON value in VLLM_EXTRA_ARGS to vLLM with its quotes, as the reference did', () => {
    const config = load({
      VLLM_EXTRA_ARGS: '--override-generation-config {"temperature":0.5} --max-model-len 4096',
    });
    expect(config.vllmExtraArgs).toEqual([
      '--override-generation-config',
      '{"temperature":0.5}',
      '--max-model-len',
      '4096',
    ]);
  });

  it('accepts a ws:// inspector URL and a ws:// queue URL', () => {
    const config = load({
      CASOLA_WS_URL: 'ws://127.0.0.1:8788',
      CASOLA_INSPECT: 'ws://127.0.0.1:1',
    });
    expect(config.wsUrl).toBe('ws://127.0.0.1:8788');
    expect(config.inspect).toEqual({ kind: 'websocket', url: 'ws://127.0.0.1:1' });
  });
});

describe('instance id', () => {
  it.each([
    [{ CASOLA_INSTANCE_ID: 'mine', RUNPOD_POD_ID: 'p', CONTAINER_ID: 'c' }, 'mine'],
    [{ RUNPOD_POD_ID: 'pod7', CONTAINER_ID: 'c' }, 'runpod-pod7'],
    [{ CONTAINER_ID: 'c9' }, 'vast-c9'],
    [{ RUNPOD_POD_ID: '', CONTAINER_ID: '' }, `vast-${process.pid}`],
  ])('%j → %s', (env, expected) => {
    expect(load(env).instanceId).toBe(expected);
  });
});

describe('bad configuration', () => {
  it('names each missing or empty required variable and how to fix it', () => {
    const found = problems({ CASOLA_WS_URL: '', VLLM_MODEL: ' ' });
    expect(found).toHaveLength(3);
    for (const name of ['CASOLA_WS_URL', 'CASOLA_CONFIG_ID', 'VLLM_MODEL']) {
      expect(found.find((line) => line.startsWith(`${name} is missing: set it`))).toBeDefined();
    }
  });

  it.each([
    ['CASOLA_WS_URL', 'http://queue.example.com', 'is not a ws:// or wss:// URL'],
    ['CASOLA_WS_URL', 'not a url', 'is not a ws:// or wss:// URL'],
    ['CASOLA_WS_URL', 'ws://127.0.0.1:1/#x', 'has a #fragment, which a WebSocket URL cannot have'],
    ['CASOLA_API_URL', 'ws://api.example.com', 'is not an http:// or https:// URL'],
    ['CASOLA_LOGS_URL', 'logs.example.com', 'is not an http:// or https:// URL'],
    ['CASOLA_METRICS_URL', 'ftp://m', 'is not an http:// or https:// URL'],
    ['CASOLA_CAPACITY', 'two', 'is not a number'],
    ['CASOLA_CAPACITY', '0', 'must be at least 1'],
    ['CASOLA_CAPACITY', '1.5', 'is not a whole number'],
    ['CASOLA_HEARTBEAT_INTERVAL', '10s', 'is not a number'],
    ['CASOLA_HEARTBEAT_INTERVAL', '0', 'must be at least 0.001 (1 ms)'],
    // It would round to a 0 ms interval: a busy loop.
    ['CASOLA_LOG_FLUSH_INTERVAL', '0.0001', 'must be at least 0.001 (1 ms)'],
    ['CASOLA_SHUTDOWN_GRACE_PERIOD', '-1', 'must not be negative'],
    // Longer than a Node timer can wait: it would fire after 1 ms.
    ['CASOLA_SHUTDOWN_GRACE_PERIOD', '2592000', 'must be at most 2147483 (about 24 days)'],
    ['VLLM_STARTUP_TIMEOUT', '99999999', 'must be at most 2147483 (about 24 days)'],
    ['CASOLA_HEARTBEAT_INTERVAL', '2147484', 'must be at most 2147483 (about 24 days)'],
    ['CASOLA_BACKPRESSURE_CHECK_INTERVAL', '0x10', 'is not a number'],
    ['CASOLA_BACKPRESSURE_PAUSE_THRESHOLD', '-2', 'must be at least 0'],
    ['CASOLA_LOG_FLUSH_INTERVAL', 'Infinity', 'is not a number'],
    ['CASOLA_EXPECTED_VRAM_GB', '80GB', 'is not a number'],
    ['VLLM_PORT', '65536', 'must be at most 65535'],
    ['VLLM_PORT', '0', 'must be at least 1'],
    ['VLLM_EXTRA_ARGS', '--chat-template "unclosed', 'has an unclosed " quote'],
    ['VLLM_EXTRA_ARGS', "'trailing\\", "has an unclosed ' quote"],
    ['VLLM_SERVE_COMMAND', 'vllm "unclosed', 'has an unclosed " quote'],
    ['VLLM_SERVE_COMMAND', 'vllm\\', 'ends with a lone backslash'],
    ['VLLM_SERVE_COMMAND', "'' serve", 'names no executable'],
    ['VLLM_STARTUP_TIMEOUT', 'NaN', 'is not a number'],
    ['CASOLA_STATUS_PORT', 'http', 'is not a number'],
    ['CASOLA_INSPECT', 'yes', 'is neither `sky` nor a ws:// URL'],
    ['CASOLA_INSPECT', 'http://127.0.0.1:1', 'is neither `sky` nor a ws:// URL'],
    ['CASOLA_MAX_FRAME_BYTES', '64MiB', 'is not a number'],
    [
      'CASOLA_API_TOKEN',
      'tok–0123456789',
      'has U+2013 at character 4, which an HTTP header cannot carry (only visible ASCII, no spaces)',
    ],
    [
      'CASOLA_API_TOKEN',
      'tok en-0123456789',
      'has U+0020 at character 4, which an HTTP header cannot carry (only visible ASCII, no spaces)',
    ],
  ])('%s=%s: %s', (name, value, problem) => {
    const found = problems({ ...REQUIRED, [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${name}='.*' `));
    const [, fix] = found[0]!.split(` ${problem}: `);
    expect(fix).toMatch(/^(set it|close every quote)/);
  });

  it('lists every bad variable in one error, one line each', () => {
    const result = loadConfig({
      CASOLA_WS_URL: 'https://queue',
      CASOLA_CAPACITY: 'x',
      VLLM_PORT: '-1',
      CASOLA_INSPECT: 'maybe',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const names = result.error.problems.map((line) => line.split(/[= ]/)[0]);
    expect(names).toEqual([
      'CASOLA_WS_URL',
      'CASOLA_CONFIG_ID',
      'CASOLA_CAPACITY',
      'VLLM_MODEL',
      'VLLM_PORT',
      'CASOLA_INSPECT',
    ]);
    for (const line of result.error.problems) expect(result.error.message).toContain(line);
  });

  it('rejects a resume threshold above the pause threshold (pause/resume would flap)', () => {
    const found = problems({
      ...REQUIRED,
      CASOLA_BACKPRESSURE_PAUSE_THRESHOLD: '2',
      CASOLA_BACKPRESSURE_RESUME_THRESHOLD: '5',
    });
    expect(found).toEqual([
      expect.stringMatching(/^CASOLA_BACKPRESSURE_RESUME_THRESHOLD=5 is above/),
    ]);
  });
});

describe('queueSocketUrl', () => {
  it.each([
    ['wss://queue.example.com', 'wss://queue.example.com/ws'],
    ['wss://queue.example.com/', 'wss://queue.example.com/ws'],
    ['ws://127.0.0.1:8788//', 'ws://127.0.0.1:8788/ws'],
    ['wss://host/base', 'wss://host/base/ws'],
    // The path goes before the query string, not after it.
    ['wss://queue.example.com/?token=abc', 'wss://queue.example.com/ws?token=abc'],
  ])('%s → %s', (base, expected) => {
    expect(queueSocketUrl(base)).toBe(expected);
  });
});

describe('describeEnvironment', () => {
  const env = {
    PATH: '/usr/bin',
    CASOLA_API_TOKEN: 'tok_live_1234567890abcd',
    HF_TOKEN: 'hf_abcdefghijklmnopWXYZ',
    AWS_SECRET_ACCESS_KEY: 'short',
    DB_PASSWORD: 'correct horse battery staple',
    GOOGLE_APPLICATION_CREDENTIALS: '/secrets/gcp-service-account.json',
    Proxy_Authorization: 'Basic dXNlcjpwYXNzd29yZA==',
    api_key: '0123456789abcdef',
    EMPTY_SECRET: '',
    VLLM_MODEL: 'Qwen/Qwen2.5-0.5B-Instruct',
    UNSET: undefined,
  };

  it('lists every variable sorted by name, plain values as they are', () => {
    const lines = describeEnvironment(env);
    const names = lines.map((line) => line.slice(0, line.indexOf('=')));
    expect(names).toEqual([...names].sort());
    expect(names).toHaveLength(10);
    expect(lines).toContain('PATH=/usr/bin');
    expect(lines).toContain('VLLM_MODEL=Qwen/Qwen2.5-0.5B-Instruct');
  });

  it("hides secrets inside values: a URL's password and query, a secret-named flag's value", () => {
    const lines = describeEnvironment({
      CASOLA_WS_URL: 'wss://queueuser:s3cretpass@queue.example.com/?token=tok3n',
      CASOLA_LOGS_URL: 'https://logs.example.com/ingest?sig=abcdef',
      VLLM_EXTRA_ARGS: '--api-key hf_secretinargs --max-model-len 8192',
      HTTPS_PROXY: 'http://user:proxypass@proxy:3128',
    });
    expect(lines).toEqual([
      'CASOLA_LOGS_URL=https://logs.example.com/ingest?sig=****',
      'CASOLA_WS_URL=wss://queueuser:****@queue.example.com/?token=****',
      'HTTPS_PROXY=http://user:****@proxy:3128/',
      'VLLM_EXTRA_ARGS=--api-key **** --max-model-len 8192',
    ]);
  });

  it('hides every value of a flag that takes several (vLLM --api-key k1 k2), either spelling', () => {
    expect(maskValue('VLLM_EXTRA_ARGS', '--api-key sk-one sk-two --max-model-len 8192')).toBe(
      '--api-key **** **** --max-model-len 8192',
    );
    expect(maskValue('VLLM_EXTRA_ARGS', "--api-key=sk-one 'sk-two' --enforce-eager")).toBe(
      '--api-key=**** **** --enforce-eager',
    );
  });

  it('masks token, key, secret, password, credential and auth values (any case)', () => {
    const lines = describeEnvironment(env);
    expect(lines).toContain('CASOLA_API_TOKEN=****abcd');
    expect(lines).toContain('HF_TOKEN=****WXYZ');
    expect(lines).toContain('AWS_SECRET_ACCESS_KEY=****');
    expect(lines).toContain('DB_PASSWORD=****aple');
    expect(lines).toContain('GOOGLE_APPLICATION_CREDENTIALS=****json');
    expect(lines).toContain('Proxy_Authorization=****ZA==');
    expect(lines).toContain('api_key=****cdef');
    expect(lines).toContain('EMPTY_SECRET=');
  });

  it('never shows more than the last 4 characters of a secret, whatever its length', () => {
    for (let length = 1; length <= 40; length++) {
      const value = 'abcdefghijklmnopqrstuvwxyz0123456789ABCD'.slice(0, length);
      const shown = maskValue('MY_TOKEN', value).replace(/^\*+/, '');
      expect(shown.length).toBeLessThanOrEqual(4);
      expect(value.endsWith(shown)).toBe(true);
      if (length < 12) expect(shown).toBe('');
    }
  });
});
