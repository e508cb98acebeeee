/**
 * `--instant`: the smallest valid answer per endpoint, built once, with no validation,
 * so a benchmark measures the worker and not the mock.
 */
import { jsonReply, type MockReply } from '../replies.ts';
import { videoFile, wavFile } from '../synth.ts';

const video = videoFile('instant');
const videoJob = { id: 'video_gen_instant', object: 'video', status: 'completed', progress: 100 };

export function instantReplies(model: string): Record<string, MockReply> {
  const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
  return {
    '/v1/chat/completions': jsonReply({
      id: 'chatcmpl-instant',
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage,
    }),
    '/v1/embeddings': jsonReply({
      object: 'list',
      model,
      data: [{ object: 'embedding', index: 0, embedding: [1] }],
      usage: { prompt_tokens: 1, total_tokens: 1 },
    }),
    '/v1/audio/speech': { status: 200, contentType: 'audio/wav', body: wavFile(Buffer.alloc(2)) },
    '/v1/audio/transcriptions': jsonReply({ text: 'ok' }),
    // One video job, done at once; GET and DELETE of it get its record.
    '/v1/videos': jsonReply(videoJob),
    '/v1/videos/video_gen_instant': jsonReply(videoJob),
    '/v1/videos/video_gen_instant/content': { status: 200, contentType: 'video/mp4', body: video },
  };
}
