/**
 * The result upload against real HTTP servers: a 200 from a server that took the whole body is
 * an upload; a 200 sent before the body was read is not (the lease then sends the result inline).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { uploadResult } from '../../../src/lease/upload.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/result`;
}

/** 16 MB of JSON: more than socket buffers hold, as offloaded results are. */
const LARGE = { text: 'x'.repeat(16 * 1024 * 1024) };

describe('uploadResult', () => {
  it('succeeds when the server read the whole body and answered 200', async () => {
    let received = 0;
    const url = await serve((request, response) => {
      request.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      request.on('end', () => response.end());
    });
    await uploadResult({ url, result: LARGE }, new AbortController().signal);
    expect(received).toBe(Buffer.byteLength(JSON.stringify(LARGE)));
  });

  it('fails when the server answers 200 without reading the body', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200).end();
    });
    await expect(
      uploadResult({ url, result: LARGE }, new AbortController().signal),
    ).rejects.toThrow(/^result upload answered HTTP 200 before taking the whole result/);
  });
});
