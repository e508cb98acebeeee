/**
 * fast-check arbitraries for what a queue (or anything pretending to be one) may send a
 * worker: valid jobs the worker must answer, exact copies of them, and every kind of garbage
 * around them (not JSON, not objects, unknown types, wrong or missing fields, binary frames,
 * huge strings, jobs under reused ids with random tokens, revocations of those).
 */
import fc from 'fast-check';

/** A job the worker must answer exactly once: its id is unique, nothing else revokes it. */
export type ValidStep = {
  kind: 'valid';
  mode: 'transient' | 'persisted';
  fail: boolean;
  bytes: number;
};
/** The same frame as an earlier valid job, byte for byte (a re-delivery). */
export type CopyStep = { kind: 'copy'; of: number };
export type RawStep = { kind: 'raw'; data: string | Uint8Array };

export type Step = ValidStep | CopyStep | RawStep;

/** Ids that garbage jobs and revocations share, so that they collide with each other. */
const GARBAGE_IDS = ['g1', 'g2', 'g3', ''];

const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300, -0),
);
const weirdValue = fc.oneof(weirdNumber, fc.jsonValue({ maxDepth: 3 }), fc.string());
const frameType = fc.oneof(
  fc.constantFrom('job', 'job_revoked', 'job_result_ref', 'error', 'register', 'drain', 'JOB'),
  fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty'),
  fc.string({ maxLength: 12 }),
);
const fieldName = fc.constantFrom(
  'type',
  'job_id',
  'mode',
  'config_id',
  'fence_token',
  'payload',
  'payload_url',
  'result_upload_url',
  'reason',
  'message',
  '__proto__',
  'constructor',
);

/** An object frame of any type with any of the protocol's field names, holding anything. */
const objectFrame = fc
  .tuple(frameType, fc.dictionary(fieldName, weirdValue, { maxKeys: 6 }))
  .map(([type, fields]) => JSON.stringify({ type, ...fields }));

/** A job under a garbage id, with a random token, mode and payload; valid or not. */
const garbageJob = fc
  .record({
    job_id: fc.constantFrom(...GARBAGE_IDS),
    mode: fc.constantFrom('transient', 'persisted', 'eventual', undefined),
    fence_token: fc.oneof(weirdNumber, fc.constant(undefined)),
    payload: fc.jsonValue({ maxDepth: 2 }),
    payload_url: fc.constantFrom(undefined, 'http://127.0.0.1:9/payload', 'not a url', 'ftp://x'),
  })
  .map((fields) => JSON.stringify({ type: 'job', config_id: 'fuzz', ...fields }));

const revocation = fc
  .tuple(fc.oneof(fc.constantFrom(...GARBAGE_IDS), fc.string({ maxLength: 8 })), fc.anything())
  .map(([jobId, reason]) => JSON.stringify({ type: 'job_revoked', job_id: jobId, reason }));

const hugeString = fc
  .tuple(fc.integer({ min: 100_000, max: 600_000 }), fc.boolean())
  .map(([size, quoted]) =>
    quoted ? JSON.stringify({ type: 'x'.repeat(size) }) : 'y'.repeat(size),
  );

const rawStep: fc.Arbitrary<RawStep> = fc
  .oneof(
    { arbitrary: fc.string({ maxLength: 300 }), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 2 },
    { arbitrary: objectFrame, weight: 5 },
    { arbitrary: garbageJob, weight: 5 },
    { arbitrary: revocation, weight: 3 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
    { arbitrary: hugeString, weight: 1 },
  )
  .map((data) => ({ kind: 'raw', data }));

const validStep: fc.Arbitrary<ValidStep> = fc.record({
  kind: fc.constant('valid'),
  mode: fc.constantFrom('transient', 'persisted'),
  fail: fc.boolean(),
  // Now and then a large payload, to be parsed alongside the garbage.
  bytes: fc.oneof({ arbitrary: fc.constant(10), weight: 9 }, fc.constant(300_000)),
});

const copyStep: fc.Arbitrary<CopyStep> = fc.nat({ max: 20 }).map((of) => ({ kind: 'copy', of }));

/** A sequence of frames: garbage, with valid jobs and copies of them interleaved. */
export const stepsArbitrary = fc.array(
  fc.oneof(
    { arbitrary: rawStep, weight: 6 },
    { arbitrary: validStep, weight: 3 },
    { arbitrary: copyStep, weight: 1 },
  ),
  { minLength: 1, maxLength: 40 },
);
