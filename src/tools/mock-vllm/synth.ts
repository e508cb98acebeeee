/**
 * Deterministic stand-ins for model output: words instead of tokens, vectors and bytes
 * derived from a hash of the input, so the same request always gets the same answer.
 */
import { createHash } from 'node:crypto';

/** The mock's "tokens": whitespace-separated words. */
export function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word.length > 0);
}

/** The first `length` hex digits of the SHA-256 of `text`. */
export function digest(text: string, length = 32): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A seeded PRNG (mulberry32): uniform numbers in [0, 1). */
function seededRandom(text: string): () => number {
  let state = Number.parseInt(digest(text, 8), 16);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A unit-length vector of `dimensions` float32 values derived from `text`. */
export function embeddingOf(text: string, dimensions: number): number[] {
  const next = seededRandom(text);
  const raw = Array.from({ length: dimensions }, () => next() * 2 - 1);
  const norm = Math.hypot(...raw) || 1;
  return raw.map((value) => Math.fround(value / norm));
}

/** A 31-bit seed derived from `text`, for generations that were given none. */
export function seedOf(text: string): number {
  return Number.parseInt(digest(text, 8), 16) & 0x7fffffff;
}

/** `count` deterministic bytes derived from `text`. */
export function bytesOf(text: string, count: number): Buffer {
  const next = seededRandom(text);
  return Buffer.from(Array.from({ length: count }, () => Math.floor(next() * 256)));
}

const SAMPLE_RATE = 16_000;

/** 16-bit mono PCM: a quiet 440 Hz tone lasting `seconds`. */
export function pcmTone(seconds: number): Buffer {
  const samples = Math.max(1, Math.round(seconds * SAMPLE_RATE));
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    pcm.writeInt16LE(Math.round(2000 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE)), i * 2);
  }
  return pcm;
}

/** A valid RIFF/WAVE file around 16 kHz 16-bit mono PCM. */
export function wavFile(pcm: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** Seconds of audio in `bytes`: read from a WAV header, else assumed 16 kHz 16-bit mono. */
export function audioSeconds(bytes: Buffer): number {
  const isWav = bytes.length >= 44 && bytes.toString('ascii', 0, 4) === 'RIFF';
  const byteRate = isWav ? bytes.readUInt32LE(28) : SAMPLE_RATE * 2;
  const dataBytes = isWav ? bytes.length - 44 : bytes.length;
  return Math.round((dataBytes / (byteRate || SAMPLE_RATE * 2)) * 1000) / 1000;
}

/**
 * A small MP4-shaped payload: an `ftyp` box then bytes derived from the request, so
 * base64 round trips and content sniffing behave as with a real video.
 */
export function videoFile(seedText: string): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypisom', 4, 'ascii');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write('isommp41', 16, 'ascii');
  const payload = bytesOf(seedText, 64);
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(8 + payload.length, 0);
  mdat.write('mdat', 4, 'ascii');
  return Buffer.concat([ftyp, mdat, payload]);
}
