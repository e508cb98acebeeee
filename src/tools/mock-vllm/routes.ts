/**
 * Routes other than inference: /health, /v1/models, /metrics, and the /mock control
 * surface tests use to change the mock at runtime.
 */
import { z } from 'zod';
import { prometheusText } from './metrics.ts';
import { errorReply, jsonReply, type MockReply, validationReply } from './replies.ts';
import { type MockState, releaseHeld } from './state.ts';

export function health(state: MockState): MockReply {
  const phase = state.lifecycle.phase();
  if (phase === 'healthy') return { status: 200, contentType: 'text/plain', body: '' };
  return errorReply(503, `mock-vllm is ${phase}`);
}

/** GET /v1/models: vLLM's ModelList of one ModelCard (vllm/entrypoints/openai/protocol.py). */
export function models(state: MockState): MockReply {
  if (state.options.modelsFail) return errorReply(500, 'mock-vllm --models-fail: no model list');
  const name = state.options.servedModelName;
  const created = Math.floor(Date.now() / 1000);
  const permission = {
    id: `modelperm-${created.toString(16)}`,
    object: 'model_permission',
    created,
    allow_create_engine: false,
    allow_sampling: true,
    allow_logprobs: true,
    allow_search_indices: false,
    allow_view: true,
    allow_fine_tuning: false,
    organization: '*',
    group: null,
    is_blocking: false,
  };
  return jsonReply({
    object: 'list',
    data: [
      {
        id: name,
        object: 'model',
        created,
        owned_by: 'vllm',
        root: state.options.model,
        parent: null,
        max_model_len: 4096,
        permission: [permission],
      },
    ],
  });
}

export async function metrics(state: MockState): Promise<MockReply> {
  const body = await prometheusText(state);
  return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body };
}

const healthControlSchema = z.object({ healthy: z.boolean() });
const queueDepthControlSchema = z.object({ depth: z.int().nonnegative() });
const printControlSchema = z.object({ line: z.string() });
const exitControlSchema = z.object({ code: z.int().min(0).max(255).optional() });

/** The mock's own state, for tests and people debugging a run. */
function describe(state: MockState): unknown {
  return {
    phase: state.lifecycle.phase(),
    running: state.running,
    queue_depth: state.queueDepth,
    requests: state.received,
    inference_requests: state.inferences,
  };
}

/** Requests closed by their client before the answer, with when the mock saw each close. */
function aborted(state: MockState): unknown {
  return {
    aborted: state.aborted.map(({ id, method, path, closedAtMs }) => ({
      id,
      method,
      path,
      closed_at_ms: closedAtMs,
    })),
  };
}

/**
 * POST /mock/exit: answers, then exits (after the answer is on its way, so the caller hears
 * it); the exit code defaults to --exit-code.
 */
function exitLater(state: MockState, body: unknown): MockReply {
  const parsed = exitControlSchema.safeParse(body ?? {});
  if (!parsed.success) return validationReply(parsed.error);
  setImmediate(() => state.lifecycle.exit(parsed.data.code));
  return jsonReply({ exiting: parsed.data.code ?? state.options.exitCode });
}

/**
 * POST /mock/health, /mock/queue-depth, /mock/release, /mock/ready, /mock/print, /mock/exit;
 * GET /mock/state, /mock/aborted.
 */
export function control(state: MockState, method: string, path: string, body: unknown): MockReply {
  const route = `${method} ${path}`;
  if (route === 'GET /mock/state') return jsonReply(describe(state));
  if (route === 'GET /mock/aborted') return jsonReply(aborted(state));
  if (route === 'POST /mock/release') return jsonReply({ released: releaseHeld(state) });
  if (route === 'POST /mock/exit') return exitLater(state, body);
  if (route === 'POST /mock/ready') {
    if (state.lifecycle.ready()) return jsonReply(describe(state));
    return errorReply(400, `start-up cannot complete: mock-vllm is ${state.lifecycle.phase()}`);
  }
  if (route === 'POST /mock/print') {
    const parsed = printControlSchema.safeParse(body);
    if (!parsed.success) return validationReply(parsed.error);
    state.log.raw(parsed.data.line);
    return jsonReply({ printed: parsed.data.line });
  }
  if (route === 'POST /mock/queue-depth') {
    const parsed = queueDepthControlSchema.safeParse(body);
    if (!parsed.success) return validationReply(parsed.error);
    state.queueDepth = parsed.data.depth;
    return jsonReply(describe(state));
  }
  if (route === 'POST /mock/health') {
    const parsed = healthControlSchema.safeParse(body);
    if (!parsed.success) return validationReply(parsed.error);
    if (!state.lifecycle.setHealthy(parsed.data.healthy, 'POST /mock/health')) {
      return errorReply(400, `health cannot change while mock-vllm is ${state.lifecycle.phase()}`);
    }
    return jsonReply(describe(state));
  }
  return jsonReply({ detail: 'Not Found' }, 404);
}
