import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../../src/tasks/index.ts';
import { pcmTone, wavFile } from '../../../src/tools/mock-vllm/synth.ts';
import { type FileServer, startFileServer } from '../../support/file-server.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
let files: FileServer | undefined;
afterEach(async () => {
  await mock?.close();
  await files?.close();
  files = undefined;
});

const TASK = 'openai/audio-transcription';
const wav = wavFile(pcmTone(0.5));

describe('openai/audio-transcription', () => {
  it('sends inline audio as a multipart file named after its format, with the defaults', async () => {
    mock = await startTestMockVllm();
    const payload = { task: TASK, audio_base64: wav.toString('base64') };
    const result = await runTask(payload, mock.context());
    expect(mock.received.map((request) => [request.path, request.fields])).toEqual([
      [
        '/v1/audio/transcriptions',
        {
          file: { filename: 'audio.wav', contentType: 'audio/wav', data: wav },
          model: SERVED_MODEL,
          response_format: 'json',
        },
      ],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: TASK,
      processed_at: expect.any(String),
      text: `mock transcription of ${wav.length} bytes of audio/wav`,
    });
  });

  it("takes base64 wrapped in lines, as Python's base64.encodebytes writes it", async () => {
    mock = await startTestMockVllm();
    const wrapped = (wav.toString('base64').match(/.{1,76}/g) ?? []).join('\n');
    await runTask({ task: TASK, audio_base64: `${wrapped}\n` }, mock.context());
    expect(mock.received.map((request) => request.fields?.file)).toEqual([
      { filename: 'audio.wav', contentType: 'audio/wav', data: wav },
    ]);
  });

  it('downloads audio_url and passes language, prompt, temperature; keeps verbose fields', async () => {
    mock = await startTestMockVllm();
    files = await startFileServer({ '/clip.flac': { body: Buffer.from('fLaC-bytes') } });
    const payload = {
      task: TASK,
      audio_url: `${files.url}/clip.flac`,
      response_format: 'verbose_json',
      language: 'de',
      prompt: 'names: Anna',
      temperature: 0.2,
    };
    const result = await runTask(payload, mock.context());
    expect(files.requests.map((request) => request.path)).toEqual(['/clip.flac']);
    expect(mock.received[0]?.fields).toEqual({
      file: { filename: 'audio.flac', contentType: 'audio/flac', data: Buffer.from('fLaC-bytes') },
      model: SERVED_MODEL,
      response_format: 'verbose_json',
      language: 'de',
      prompt: 'names: Anna',
      temperature: '0.2',
    });
    expect(result).toMatchObject({
      text: 'mock transcription of 10 bytes of audio/flac',
      language: 'de',
      // vLLM sends it as a string (TranscriptionResponseVerbose(duration=str(...))).
      duration: expect.any(Number),
      segments: [expect.objectContaining({ id: 0, temperature: 0.2 })],
    });
  });

  it('takes the text of a plain-text answer', async () => {
    mock = await startTestMockVllm();
    const payload = { task: TASK, audio_base64: wav.toString('base64'), response_format: 'text' };
    const result = await runTask(payload, mock.context());
    expect(result.text).toBe(`mock transcription of ${wav.length} bytes of audio/wav`);
    expect(Object.keys(result)).not.toContain('segments');
  });

  it('fails with the URL and status when the download fails', async () => {
    mock = await startTestMockVllm();
    files = await startFileServer({});
    const run = runTask(
      { task: TASK, audio_url: `${files.url}/missing.wav?sig=secret` },
      mock.context(),
    );
    await expect(run).rejects.toThrow(
      `could not download audio_url ${files.url}/missing.wav: HTTP 404`,
    );
    expect(mock.received).toEqual([]);
  });

  it.each([
    [{}, 'invalid payload for openai/audio-transcription: audio_base64 or audio_url is required'],
    [
      { audio_base64: 'not base64!' },
      /^invalid payload for openai\/audio-transcription: audio_base64: /,
    ],
    [{ audio_url: 'ftp://host/a.wav' }, 'audio_url: expected an http or https URL'],
    [{ audio_base64: 'UklGRg==', response_format: 'xml' }, /response_format: /],
    // vLLM refuses srt and vtt: the job says so before sending anything.
    [
      { audio_base64: 'UklGRg==', response_format: 'srt' },
      'response_format: vLLM serves json, text or verbose_json',
    ],
    [
      { audio_base64: 'UklGRg==', response_format: 'vtt' },
      'response_format: vLLM serves json, text or verbose_json',
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm();
    await expect(runTask({ task: TASK, ...payload }, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});
