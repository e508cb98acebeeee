/**
 * fetchPayload against a real HTTP server: what object storage does in front of a presigned
 * URL (redirects, gzip-encoded objects, a byte order mark), and the limits.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPayload } from '../../../src/jobs/payload.ts';
import { type FileServer, startFileServer } from '../../support/file-server.ts';

const PAYLOAD = { task: 'openai/embeddings', input: 'x'.repeat(1000) };
const JSON_TEXT = JSON.stringify(PAYLOAD);

let server: FileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const fetch = (path: string, maxBytes?: number) =>
  fetchPayload(`${server!.url}${path}`, new AbortController().signal, {
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });

describe('fetchPayload', () => {
  it('follows a redirect, decodes a gzip-encoded object, and skips a byte order mark', async () => {
    server = await startFileServer({
      '/moved': { redirectTo: '/payload.json' },
      '/payload.json': { body: JSON_TEXT, contentType: 'application/json' },
      '/gzip.json': { body: gzipSync(JSON_TEXT), contentEncoding: 'gzip' },
      '/bom.json': { body: `\uFEFF${JSON_TEXT}` },
    });
    for (const path of ['/moved', '/gzip.json', '/bom.json']) {
      await expect(fetch(path), path).resolves.toEqual(PAYLOAD);
    }
  });

  it('counts the decoded bytes against the limit', async () => {
    server = await startFileServer({
      '/bomb.json': {
        body: gzipSync(JSON.stringify({ pad: ' '.repeat(1_000_000) })),
        contentEncoding: 'gzip',
      },
    });
    await expect(fetch('/bomb.json', 100_000)).rejects.toThrow(
      "could not fetch the job's payload from payload_url: the body is over the 100000-byte limit",
    );
  });
});
