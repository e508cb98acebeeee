/**
 * The connection's outbox is bounded: results made while offline wait in it, up to
 * `outboxLimit`; beyond that the oldest is dropped, and each drop is logged.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, setup } from 'xstate';
import { connectionMachine, type SocketCommand } from '../../../machines/connection.machine.ts';
import type { LogParams, OutboundFrame } from '../../../machines/types.ts';

function harness(outboxLimit: number) {
  const commands: SocketCommand[] = [];
  const logs: LogParams[] = [];
  const socket = fromCallback<SocketCommand>(({ sendBack, receive }) => {
    receive((command) => commands.push(command));
    queueMicrotask(() => sendBack({ type: 'SOCKET_OPENED' }));
  });
  const connection = connectionMachine.provide({
    actors: { socket },
    actions: { log: (_, params) => logs.push(...[params].flat()) },
  });
  const parent = setup({ actors: { connection } }).createMachine({
    invoke: {
      id: 'connection',
      src: 'connection',
      input: { workerId: 'w1', configId: 'cfg', capacity: 1, outboxLimit },
    },
  });
  const actor = createActor(parent).start();
  const ref = actor.getSnapshot().children.connection!;
  return { commands, logs, send: (event: Parameters<typeof ref.send>[0]) => ref.send(event) };
}

const result = (jobId: string): OutboundFrame => ({
  type: 'job_result',
  job_id: jobId,
  result: null,
  fence_token: 0,
});

describe('the connection outbox', () => {
  it('keeps the newest results up to its limit, logs each drop with its job id, and sends them after register', async () => {
    const connection = harness(3);
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5'])
      connection.send({ type: 'SEND', frame: result(id) });
    // Renewals are not kept: a lease renewal is worthless on the next connection.
    connection.send({
      type: 'SEND',
      frame: { type: 'job_progress', job_id: 'r9', fence_token: 1, status_message: 'processing' },
    });
    expect(connection.logs).toEqual([
      {
        level: 'warn',
        message: 'outbox full: dropped the oldest of 3 results kept while offline',
        fields: { dropped_total: 1, job_id: 'r1' },
      },
      {
        level: 'warn',
        message: 'outbox full: dropped the oldest of 3 results kept while offline',
        fields: { dropped_total: 2, job_id: 'r2' },
      },
    ]);
    connection.send({ type: 'CONNECT' });
    await new Promise((resolve) => setImmediate(resolve));
    const sent = connection.commands.map((command) =>
      command.type === 'TRANSMIT' ? command.frame : command,
    );
    expect(sent).toEqual([
      { type: 'register', worker_id: 'w1', config_id: 'cfg', capacity: 1 },
      result('r3'),
      result('r4'),
      result('r5'),
      // Sent results are unconfirmed until the pong of the ping that follows them.
      { type: 'PING' },
    ]);
  });
});
