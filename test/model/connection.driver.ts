/**
 * The connection model's driver: the real connection actor (createConnectionLogic: the machine
 * with its real WebSocket) under a small parent that plays the worker. CONNECT, SEND and STOP
 * are the connection's API, sent as the worker sends them; everything on the other side is
 * the local queue: it accepts, refuses (a bearer token required), drops the socket, stalls
 * (pings and the close frame wait unanswered until it reads again), and sends frames and
 * garbage. Named delays run on a manual clock and fire as steps of the walk.
 */
import {
  type Actor,
  type AnyActorRef,
  type AnyEventObject,
  type AnyMachineSnapshot,
  createActor,
  type EventObject,
  setup,
} from 'xstate';
import { type ConnectionInput, connectionMachine } from '../../machines/connection.machine.ts';
import { createConnectionLogic } from '../../src/connection/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { type LocalQueue, startLocalQueue } from '../../src/queue/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { ConnectionWitness, GARBAGE, PROBE } from './connection.checks.ts';
import type { CoverageRecorder } from './coverage.ts';
import type { PlannedWalk } from './planner.ts';
import type { Driver } from './runner.ts';

const WORKER = 'w-conn';
/** A batch of two unconfirmed results pings at once (the worker's is 256). */
export const INPUT: ConnectionInput = {
  workerId: WORKER,
  configId: 'cfg',
  capacity: 1,
  confirmBatch: 2,
  outboxLimit: 1,
};

export class ConnectionDriver implements Driver {
  #queue!: LocalQueue;
  #clock = new ManualClock();
  #parent!: Actor<AnyActorRefLogic>;
  #connection!: AnyActorRef;
  #recorder!: CoverageRecorder;
  #walk!: PlannedWalk;
  #step = 0;
  /** Where in the recorder's log the next caused event is looked for. */
  #from = 0;
  #stalled = false;
  #witness!: ConnectionWitness;

  async start(recorder: CoverageRecorder, walk: PlannedWalk): Promise<void> {
    this.#recorder = recorder;
    this.#walk = walk;
    this.#from = recorder.mark();
    const refusing = walk.events.some(
      (event, i) =>
        event.type === 'SOCKET_CLOSED' && walk.path.steps[i]!.state.matches({ linked: 'opening' }),
    );
    this.#queue = await startLocalQueue(refusing ? { requireToken: 'queue-secret' } : {});
    const witness = new ConnectionWitness(this.#queue, WORKER);
    this.#witness = witness;
    const connection = createConnectionLogic({
      url: `${this.#queue.wsUrl}/ws`,
      token: undefined,
      maxFrameBytes: 1 << 20,
      logger: silentLogger(),
      timings: { reconnectDelayMs: (backoffMs) => backoffMs },
    });
    const parent = setup({ actors: { connection } }).createMachine({
      invoke: { id: 'connection', systemId: 'connection', src: 'connection', input: INPUT },
      on: { '*': { actions: ({ event }) => witness.notices.push(event) } },
    });
    this.#parent = createActor(parent, { clock: this.#clock, inspect: recorder.inspect });
    this.#parent.start();
    this.#connection = this.#parent.getSnapshot().children.connection as AnyActorRef;
  }

  async cause(event: AnyEventObject): Promise<void> {
    const { steps } = this.#walk.path;
    const before = steps[this.#step]!.state;
    const after = steps[this.#step + 1]!.state;
    const next = this.#walk.events[this.#step + 1];
    this.#step += 1;
    this.#arrange(event, before, after, next);
    this.#expectFrames(event, before);
    this.#make(event, before);
    await this.#received((seen) =>
      event.type === 'FRAME_RECEIVED'
        ? seen.type === 'FRAME_RECEIVED' && seen.frame.job_id === PROBE.job_id
        : seen.type === event.type,
    );
    // The socket writes what one tick produced in one go, on the next tick.
    if (event.type === 'SEND') await new Promise((resolve) => setImmediate(resolve));
    // The socket is gone: the stalled queue reads again and notices.
    if (this.#stalled && !after.matches('linked')) this.#resume();
  }

  /** The queue stops reading before a ping that must wait, or a close that must hang. */
  #arrange(
    event: AnyEventObject,
    before: AnyMachineSnapshot,
    after: AnyMachineSnapshot,
    next: EventObject | undefined,
  ): void {
    if (this.#stalled) return;
    const pinging = after.matches({ linked: { online: 'awaitingPong' } });
    const hanging = event.type === 'STOP' && after.matches({ linked: 'closing' });
    if (pinging && !before.matches({ linked: { online: 'awaitingPong' } })) this.#stall();
    else if (hanging && next?.type !== 'SOCKET_CLOSED') this.#stall();
  }

  #expectFrames(event: AnyEventObject, before: AnyMachineSnapshot): void {
    if (event.type === 'SOCKET_OPENED') this.#witness.opened(before.context);
    if (event.type === 'SEND' && before.matches({ linked: 'online' })) {
      this.#witness.sent(before.context, event.frame);
    }
  }

  #make(event: AnyEventObject, before: AnyMachineSnapshot): void {
    switch (event.type) {
      case 'CONNECT':
      case 'STOP':
      case 'SEND':
        this.#connection.send(event);
        return;
      case 'SOCKET_OPENED':
        return; // the handshake completes on its own
      case 'SOCKET_CLOSED':
        if (before.matches({ linked: 'opening' })) this.#witness.refused();
        else if (before.matches({ linked: 'closing' })) {
          if (this.#stalled) this.#resume(); // the queue reads the close frame and answers it
        } else this.#queue.faults.dropSocket(WORKER);
        return;
      case 'PONG':
        this.#resume(); // the queue reads the waiting ping and answers it
        return;
      case 'FRAME_RECEIVED':
        this.#witness.probed();
        this.#queue.faults.sendRaw(WORKER, JSON.stringify(PROBE));
        return;
      case 'FRAME_REJECTED':
        this.#witness.garbled();
        this.#queue.faults.sendRaw(WORKER, GARBAGE);
        return;
      default:
        this.#clock.fire(delayOf(event.type, before));
    }
  }

  #stall(): void {
    this.#queue.faults.stallSocket(WORKER);
    this.#stalled = true;
  }

  #resume(): void {
    this.#queue.faults.resumeSocket(WORKER);
    this.#stalled = false;
  }

  async #received(match: (event: AnyEventObject) => boolean): Promise<void> {
    this.#from = await this.#recorder.waitPast(match, this.#from);
  }

  realValue() {
    return this.#connection.getSnapshot().value;
  }

  check(snapshot: AnyMachineSnapshot): Promise<void> {
    return this.#witness.check(snapshot, this.#stalled);
  }

  async stop(): Promise<void> {
    if (this.#stalled) this.#resume();
    this.#parent.stop();
    await this.#queue.close();
  }
}

type AnyActorRefLogic = Parameters<typeof createActor>[0];

/** The delay a delayed event's timer was set with: the machine's, or the current backoff. */
function delayOf(type: string, before: AnyMachineSnapshot): number {
  const name = type.split('.')[2]!;
  if (name === 'RECONNECT_DELAY') return before.context.backoffMs;
  return connectionMachine.implementations.delays[name as 'PING_INTERVAL'] as number;
}
