import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEngineAnswer } from '../../../src/tasks/task.ts';

const schema = z.object({ id: z.string() });

describe('parseEngineAnswer', () => {
  it.each([
    ['vLLM error object', { object: 'error', message: 'model not loaded', code: 400 }],
    ['OpenAI-style error', { error: { message: 'model not loaded', type: 'BadRequestError' } }],
  ])("names vLLM's own message when a 200 carries an error (%s)", (_, body) => {
    expect(() => parseEngineAnswer('/v1/chat/completions', schema, body)).toThrow(
      'vLLM returned an error for POST /v1/chat/completions: model not loaded',
    );
  });

  it('says which fields were off for any other unexpected body', () => {
    expect(() => parseEngineAnswer('/v1/chat/completions', schema, { name: 'x' })).toThrow(
      /^vLLM answered POST \/v1\/chat\/completions with an unexpected body: id: /,
    );
  });
});
