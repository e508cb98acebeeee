/**
 * The connection model's driver: the real connection actor (createConnectionLogic: the machine
 * with its real WebSocket) under a small parent that plays the worker. CONNECT, SEND, STOP
 * and GRACE_* are the connection's API, sent as the worker sends them; everything on the other
 * side is the local queue behind a TCP proxy that holds each handshake until SOCKET_OPENED: the
 * queue accepts, refuses (a bearer token required), drops the socket, stalls (pings and the
 * close frame wait unanswered until it reads again), and sends frames and garbage. Named delays
 * run on a manual clock and fire as steps of the walk.
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
import {
  type ConnectionInput,
  connectionMachine,
  GRACE_PERIOD_MS,
} from '../../machines/connection.machine.ts';
import { createConnectionLogic } from '../../src/connection/index.ts';
import { type LocalQueue, startLocalQueue } from '../../src/tools/queue/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { ConnectionWitness, GARBAGE, PROBE } from './connection.checks.ts';
import { expectedConnectionPath, isReconnectDelay, RECONNECT } from './connection.oracle.ts';
import type { CoverageRecorder } from './coverage.ts';
import { standingViolations, type Told } from './invariants.ts';
import type { PlannedWalk } from './planner.ts';
import type { Driver } from './runner.ts';

const WORKER = 'w-conn';
const OUTBOX_LIMIT = 1;
export const INPUT: ConnectionInput = {
  workerId: WORKER,
  configId: 'cfg',
  capacity: 1,
  outboxLimit: OUTBOX_LIMIT,
};

const DISPATCH = { pause: true, resume: true, drain: true };

/** A WebSocket pong from the server: FIN, opcode 0xA, no payload, unmasked (RFC 6455, 5.5.3). */
const PONG_FRAME = Buffer.from([0x8a, 0x00]);

/** The connection closed with the queue's close frame, or without (1006). */
const answered = (event: EventObject | undefined) =>
  event?.type === 'SOCKET_CLOSED' && (event as AnyEventObject).code !== 1006;

export class ConnectionDriver implements Driver {
  #queue!: LocalQueue;
  #proxy!: TcpProxy;
  #clock = new ManualClock();
  #parent!: Actor<AnyActorRefLogic>;
  #connection!: AnyActorRef;
  #recorder!: CoverageRecorder;
  #walk!: PlannedWalk;
  #step = 0;
  /** Where in the recorder's log the next caused event is looked for. */
  #from = 0;
  #stalled = false;
  /**
   * The queue answers no ping while the model awaits a pong; the walk's PONG is a pong frame the
   * proxy writes to the worker. (A stalled queue would also hold back the results written in
   * the same write as the ping.)
   */
  #silent = false;
  #witness!: ConnectionWitness;
  /** The events the walk caused so far, in order: what connection.oracle.ts reads. */
  readonly #events: AnyEventObject[] = [];
  /** The dispatch frames the walk gave the connection, as the worker's gate gives them. */
  readonly #told: Told[] = [];

  async start(recorder: CoverageRecorder, walk: PlannedWalk): Promise<void> {
    this.#recorder = recorder;
    this.#walk = walk;
    this.#from = recorder.mark();
    const refusing = walk.events.some(
      (event, i) =>
        event.type === 'SOCKET_CLOSED' && walk.path.steps[i]!.state.matches({ linked: 'opening' }),
    );
    this.#queue = await startLocalQueue(refusing ? { requireToken: 'queue-secret' } : {});
    const targetPort = Number(new URL(this.#queue.wsUrl).port);
    this.#proxy = await startTcpProxy({ targetPort, hold: true });
    const logs = captureLogs();
    const witness = new ConnectionWitness(this.#queue, WORKER, logs);
    this.#witness = witness;
    const connection = createConnectionLogic({
      url: `ws://127.0.0.1:${this.#proxy.port}/ws`,
      token: undefined,
      maxFrameBytes: 1 << 20,
      logger: logs.logger,
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
    this.#arrange(before, after, next);
    this.#events.push(event);
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
    if (this.#silent && !after.matches({ linked: { online: 'awaitingPong' } })) {
      this.#queue.faults.answerPings(WORKER);
      this.#silent = false;
    }
  }

  /** The queue answers no ping while one must wait, and stops reading before a close that must hang. */
  #arrange(
    before: AnyMachineSnapshot,
    after: AnyMachineSnapshot,
    next: EventObject | undefined,
  ): void {
    if (after.matches({ linked: { online: 'awaitingPong' } }) && !this.#silent) {
      this.#queue.faults.stopAnsweringPings(WORKER);
      this.#silent = true;
    }
    const closing = after.matches({ linked: 'closing' }) && !before.matches({ linked: 'closing' });
    if (closing && !answered(next) && !this.#stalled) this.#stall();
  }

  #make(event: AnyEventObject, before: AnyMachineSnapshot): void {
    switch (event.type) {
      case 'SEND':
        if (event.frame.type in DISPATCH) {
          this.#told.push({ type: event.frame.type, at: this.#queue.events.all().length });
        }
        this.#connection.send(event);
        return;
      case 'CONNECT':
      case 'STOP':
      case 'GRACE_STARTED':
        this.#connection.send(event);
        return;
      case 'GRACE_ENDED':
        // The grace period's own timer when it runs; else the worker's second signal.
        if (this.#clock.pending().filter((ms) => ms === GRACE_PERIOD_MS).length === 1) {
          this.#clock.fire(GRACE_PERIOD_MS);
        } else this.#connection.send(event);
        return;
      case 'SOCKET_OPENED':
        this.#proxy.release(); // the handshake reaches the queue
        return;
      case 'SOCKET_CLOSED':
        if (before.matches({ linked: 'opening' })) {
          this.#witness.refused();
          this.#proxy.release();
        } else if (before.matches({ linked: 'closing' }) && answered(event)) {
          if (this.#stalled) this.#resume(); // the queue reads the close frame and answers it
        } else this.#queue.faults.dropSocket(WORKER);
        return;
      case 'PONG':
        this.#proxy.inject(PONG_FRAME);
        return;
      case 'FRAME_RECEIVED':
        this.#queue.faults.sendRaw(WORKER, JSON.stringify(PROBE));
        return;
      case 'FRAME_REJECTED':
        this.#queue.faults.sendRaw(WORKER, GARBAGE);
        return;
      default:
        if (event.type === RECONNECT) {
          // The backoff before this attempt, as the walk's earlier events leave it.
          const { backoffMs } = expectedConnectionPath(this.#events.slice(0, -1), OUTBOX_LIMIT);
          this.#clock.fireWhere(isReconnectDelay(backoffMs), `reconnect after ${backoffMs} ms`);
        } else this.#clock.fire(delayOf(event.type));
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
    const path = expectedConnectionPath(this.#events, OUTBOX_LIMIT);
    return this.#witness.check(snapshot, path, this.#stalled, this.#clock.pending());
  }

  invariants(): string[] {
    return standingViolations(this.#queue, WORKER, this.#told);
  }

  async stop(): Promise<void> {
    if (this.#stalled) this.#resume();
    this.#parent.stop();
    await this.#proxy.close();
    await this.#queue.close();
  }
}

type AnyActorRefLogic = Parameters<typeof createActor>[0];

/** The delay a fixed delayed event's timer was set with: the machine's. */
function delayOf(type: string): number {
  const name = type.split('.')[2]!;
  return connectionMachine.implementations.delays[name as 'PING_INTERVAL'] as number;
}
