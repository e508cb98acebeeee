import { createServer } from 'node:net';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

/** A port that was free a moment ago (the child needs it on its command line). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function healthOf(url: string): Promise<unknown> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      return await (await fetch(url)).json();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

const children: { kill(): boolean }[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

describe('casola-worker queue', () => {
  it('serves /health on --port and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = execa('node', ['src/cli.ts', 'queue', '--port', String(port)], {
      reject: false,
    });
    children.push(child);
    expect(await healthOf(`http://127.0.0.1:${port}/health`)).toEqual({
      status: 'ok',
      worker_connected: false,
      pending_jobs: 0,
    });
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    // Issue 18, item 8: the URL printed is what CASOLA_WS_URL takes (the worker appends /ws),
    // and the queue's log lines name the queue as their source.
    expect(result.stdout).toContain(`workers connect with CASOLA_WS_URL=ws://127.0.0.1:${port} `);
    expect(result.stdout).not.toContain(`${port}/ws`);
    const listening = result.stdout.split('\n').find((line) => line.includes('listening'));
    expect(JSON.parse(listening ?? '{}')).toMatchObject({ source: 'local-queue' });
  });

  it('shows its default port unquoted in --help', async () => {
    const result = await execa('node', ['src/cli.ts', 'queue', '--help']);
    expect(result.stdout).toMatch(/--port <port> +port to listen on \(default: 8788\)/);
  });

  it('says in one line that a taken port is taken, and exits 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as { port: number };
      const result = await execa('node', ['src/cli.ts', 'queue', '--port', String(port)], {
        reject: false,
      });
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(
        `casola-worker queue: the local queue could not listen on 127.0.0.1:${port}; choose a free port (--port) or another host`,
      );
    } finally {
      taken.close();
    }
  });

  it('exits 2 on a port that is not a number', async () => {
    const result = await execa('node', ['src/cli.ts', 'queue', '--port', 'eighty'], {
      reject: false,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--port/);
  });
});
