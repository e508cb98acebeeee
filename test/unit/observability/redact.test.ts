import { describe, expect, it } from 'vitest';
import { redactArgs, redactUrl, secretArgValues } from '../../../src/observability/redact.ts';

describe('redactUrl', () => {
  it.each([
    ['wss://user:s3cret@queue.example.com/ws', 'wss://user:****@queue.example.com/ws'],
    ['wss://queue.example.com/?token=tok3n', 'wss://queue.example.com/?token=****'],
    [
      'https://bucket.s3.amazonaws.com/p.json?X-Amz-Signature=abc&X-Amz-Credential=def',
      'https://bucket.s3.amazonaws.com/p.json?X-Amz-Signature=****&X-Amz-Credential=****',
    ],
    ['https://api.example.com', 'https://api.example.com'],
    ['not a url', 'not a url'],
    ['/usr/bin:/bin', '/usr/bin:/bin'],
  ])('%s → %s', (text, redacted) => {
    expect(redactUrl(text)).toBe(redacted);
  });
});

describe('redactArgs', () => {
  it('hides the values of secret-named flags and secrets in URLs, nothing else', () => {
    expect(
      redactArgs([
        '--api-key',
        'hf_secretinargs',
        '--hf-token=hf_other',
        '--max-model-len',
        '8192',
        '--download-dir',
        'https://u:p@mirror.example.com/models',
        '--token',
        '--enforce-eager',
      ]),
    ).toEqual([
      '--api-key',
      '****',
      '--hf-token=****',
      '--max-model-len',
      '8192',
      '--download-dir',
      'https://u:****@mirror.example.com/models',
      '--token',
      '--enforce-eager',
    ]);
  });

  it('hides every value after a secret flag up to the next flag (vLLM --api-key takes several)', () => {
    const args = ['--api-key', 'sk-one', 'sk-two', '--port', '8000', '--hf-token=hf_x', 'hf_y'];
    expect(redactArgs(args)).toEqual([
      '--api-key',
      '****',
      '****',
      '--port',
      '8000',
      '--hf-token=****',
      '****',
    ]);
    expect(secretArgValues(args)).toEqual(['sk-one', 'sk-two', 'hf_x', 'hf_y']);
  });
});
