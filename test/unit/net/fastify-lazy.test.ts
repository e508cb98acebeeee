/**
 * Fastify loads with the first HTTP server, not with the SDK: a custom worker that imports
 * `casola-worker` (or a worker with its status server off) makes no server and should not pay
 * for one. Checked in a fresh process, where nothing else has loaded it.
 */
import { execaNode } from 'execa';
import { expect, it } from 'vitest';

const SCRIPT = `
import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
const fastifyLoaded = () => Object.keys(cache).some((path) => path.includes('/node_modules/fastify/'));
const sdk = await import(${JSON.stringify(new URL('../../../src/index.ts', import.meta.url).pathname)});
const before = fastifyLoaded();
sdk.createStatusServer({ port: 0, host: '127.0.0.1' });
const afterStatusServer = fastifyLoaded();
const { createHttpApp } = await import(${JSON.stringify(new URL('../../../src/net/http-server.ts', import.meta.url).pathname)});
const app = createHttpApp();
console.log(JSON.stringify({ before, afterStatusServer, after: fastifyLoaded(), routes: typeof app.route }));
process.exit(0);
`;

it('importing the SDK (or making a status server) loads no Fastify; the first HTTP app does', async () => {
  const run = await execaNode({ input: SCRIPT })`--input-type=module -`;
  expect(JSON.parse(run.stdout)).toEqual({
    before: false,
    afterStatusServer: false,
    after: true,
    routes: 'function',
  });
});
