import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DOWNLOAD_BYTES, download } from '../../../src/http/download.ts';
import { type FileServer, startFileServer } from '../../support/file-server.ts';

let files: FileServer;
afterEach(() => files?.close());

const never = new AbortController().signal;
const options = { field: 'image_url', timeoutMs: 5_000, signal: never };

describe('download', () => {
  it('returns the bytes and the bare, lower-case media type', async () => {
    files = await startFileServer({
      '/a.png': { body: 'png!', contentType: 'Image/PNG; charset=x' },
    });
    expect(await download(`${files.url}/a.png`, options)).toEqual({
      bytes: Buffer.from('png!'),
      contentType: 'image/png',
    });
  });

  it('follows redirects', async () => {
    files = await startFileServer({ '/old': { redirectTo: '/new' }, '/new': { body: 'moved' } });
    const { bytes } = await download(`${files.url}/old`, options);
    expect(bytes.toString()).toBe('moved');
    expect(files.requests.map((request) => request.path)).toEqual(['/old', '/new']);
  });

  it.each(['file:///etc/passwd', 'data:text/plain,hi', 'ftp://host/x'])(
    'refuses %s without fetching',
    async (url) => {
      await expect(download(url, options)).rejects.toMatchObject({
        reason: 'download_failed',
        message: expect.stringMatching(/^image_url must be an http or https URL, not [a-z]+:$/),
      });
    },
  );

  it.each([
    ['declared', false],
    ['chunked', true],
  ])('refuses a body over the limit (%s size), naming the limit', async (_, chunked) => {
    files = await startFileServer({ '/big': { body: Buffer.alloc(2048), chunked } });
    const run = download(`${files.url}/big?token=secret`, { ...options, maxBytes: 1024 });
    await expect(run).rejects.toMatchObject({
      reason: 'download_failed',
      message: `image_url ${files.url}/big is larger than the 1024 bytes download limit`,
    });
  });

  it('names the default limit in MiB', async () => {
    expect(DEFAULT_MAX_DOWNLOAD_BYTES).toBe(64 * 1024 * 1024);
    files = await startFileServer({ '/big': { body: Buffer.alloc(2 * 1024 * 1024) } });
    const run = download(`${files.url}/big`, { ...options, maxBytes: 1024 * 1024 });
    await expect(run).rejects.toThrow('is larger than the 1 MiB download limit');
  });

  it('gives up after its timeout', async () => {
    files = await startFileServer({ '/slow': { hang: true } });
    const run = download(`${files.url}/slow`, { ...options, timeoutMs: 50 });
    await expect(run).rejects.toMatchObject({
      reason: 'timeout',
      message: `download of image_url ${files.url}/slow took longer than 0.05 s`,
    });
  });

  it('closes the request when the job is aborted', async () => {
    files = await startFileServer({ '/slow': { hang: true } });
    const job = new AbortController();
    const outcome = download(`${files.url}/slow`, { ...options, signal: job.signal }).catch(
      (error: unknown) => error,
    );
    while (files.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    job.abort();
    expect(await outcome).toMatchObject({ reason: 'aborted' });
    expect((await files.closedEarly).path).toBe('/slow');
  });
});
