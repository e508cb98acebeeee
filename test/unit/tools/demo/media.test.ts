import { afterEach, describe, expect, it } from 'vitest';
import { type MediaServer, startMediaServer } from '../../../../src/tools/demo/media.ts';

let server: MediaServer | undefined;
afterEach(() => server?.close());

describe("the demo's media server", () => {
  it('serves the PNG, and answers an unknown path an empty 404', async () => {
    server = await startMediaServer();
    const image = await fetch(`${server.url}/image.png`);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
    await image.arrayBuffer();
    const missing = await fetch(`${server.url}/nothing.png`);
    expect([missing.status, missing.headers.get('content-type'), await missing.text()]).toEqual([
      404,
      null,
      '',
    ]);
  });
});
