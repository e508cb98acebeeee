/**
 * Status servers for tests (closed after each test), and readers of what they answer.
 */
import { afterEach } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { createStatusServer, type StatusServer } from '../../src/status/server.ts';

export function useStatusServers() {
  const opened: StatusServer[] = [];
  afterEach(async () => {
    for (const server of opened.splice(0)) await server.close();
  });
  return {
    /** A server on 127.0.0.1, port 0, not listening yet: give its `inspect` to the worker. */
    create(): StatusServer {
      const server = createStatusServer({ port: 0, host: '127.0.0.1' });
      opened.push(server);
      return server;
    },
    /** Starts serving `root`; fails the test when it cannot listen. */
    async listen(server: StatusServer, root: AnyActorRef): Promise<string> {
      const url = await server.listen(root);
      if (url === undefined) throw new Error('the status server did not listen');
      return url;
    },
  };
}

export type Answer = { status: number; type: string | null; body: string };

export async function get(url: string): Promise<Answer> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: await response.text(),
  };
}

/**
 * The value of one sample in Prometheus text, `series` written as it appears on the line
 * (`casola_jobs_total{task="a",outcome="result"}`); undefined when there is no such line.
 */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
