/**
 * The demo's input media, served over HTTP from 127.0.0.1 like presigned URLs would be: a 1×1
 * PNG and a short silent WAV.
 */
import { closeHttp, createHttpApp, listenHttp } from '../../net/http-server.ts';

/** A valid 1×1 transparent PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** A valid 16-bit mono WAV of `samples` samples of silence at 16 kHz. */
export function silentWav(samples = 1_600): Buffer {
  const data = samples * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16_000, 24);
  header.writeUInt32LE(32_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

const FILES: Record<string, { type: string; body: Buffer }> = {
  '/image.png': { type: 'image/png', body: PNG },
  '/speech.wav': { type: 'audio/wav', body: silentWav() },
};

export type MediaServer = { url: string; close(): Promise<void> };

export async function startMediaServer(): Promise<MediaServer> {
  const app = createHttpApp();
  for (const [path, file] of Object.entries(FILES)) {
    app.get(path, (_request, reply) => reply.type(file.type).send(file.body));
  }
  app.setNotFoundHandler((_request, reply) => reply.code(404).send());
  const port = await listenHttp(app, '127.0.0.1', 0);
  return { url: `http://127.0.0.1:${port}`, close: () => closeHttp(app) };
}
