/**
 * The start-up check of /v1/models: it must list the name every request will send, and it is
 * asked with the key vLLM was started with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthActors, type HealthOptions } from '../../../src/engine/health.ts';
import { startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

/** Runs the checkModels actor's promise as xstate would. */
function checkModels(options: Omit<HealthOptions, 'baseUrl'>): Promise<void> {
  const { checkModels: actor } = createHealthActors({ baseUrl: mock.url, ...options });
  const creator = (actor as unknown as { config: (args: object) => Promise<void> }).config;
  return creator({ signal: new AbortController().signal, input: undefined });
}

describe('the /v1/models check', () => {
  it('passes when vLLM serves the name requests send', async () => {
    mock = await startTestMockVllm({ servedModelName: 'default' });
    await expect(checkModels({ servedModelName: 'default' })).resolves.toBeUndefined();
  });

  it('fails naming both names when vLLM serves another (--served-model-name in VLLM_EXTRA_ARGS)', async () => {
    mock = await startTestMockVllm({ servedModelName: 'other' });
    await expect(checkModels({ servedModelName: 'default' })).rejects.toThrow(
      "vLLM serves 'other', not 'default' (VLLM_SERVED_MODEL_NAME), which every request names: " +
        'remove --served-model-name from VLLM_EXTRA_ARGS or set VLLM_SERVED_MODEL_NAME to the served name',
    );
  });

  it("sends vLLM's key, and says so when vLLM wants one it was not given", async () => {
    mock = await startTestMockVllm({ servedModelName: 'm', apiKey: 'k-123' });
    await expect(checkModels({ servedModelName: 'm', apiKey: 'k-123' })).resolves.toBeUndefined();
    await expect(checkModels({ servedModelName: 'm' })).rejects.toThrow(
      'GET /v1/models: HTTP 401 (vLLM demands a key: set VLLM_API_KEY or --api-key in VLLM_EXTRA_ARGS)',
    );
  });
});
