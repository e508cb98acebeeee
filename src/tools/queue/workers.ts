/**
 * Connected sockets and the workers registered on them. A worker is known by its
 * `worker_id`: it keeps its running jobs across reconnects, and a result for one of them is
 * accepted from any of its connections.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocket } from 'ws';
import type { RegisterFrame } from '../../protocol/index.ts';

export type QueueConnection = {
  readonly id: number;
  readonly ws: WebSocket;
  /** The upgrade request's headers, as received. */
  readonly headers: IncomingHttpHeaders;
  /** Set by the connection's `register` frame. */
  workerId: string | undefined;
};

/** accepting: gets jobs while it has room · paused: gets none until `resume` · draining: capacity 0 until it registers again. */
export type DispatchState = 'accepting' | 'paused' | 'draining';

export type WorkerRecord = {
  readonly id: string;
  configId: string;
  /** The capacity of its latest `register`. */
  registeredCapacity: number;
  dispatch: DispatchState;
  /** The connection it last registered on; undefined while disconnected. */
  connection: QueueConnection | undefined;
  /** Ids of the jobs it holds, transient and persisted. */
  readonly running: Set<string>;
  /** When it last got a job: ties between equally loaded workers go to the one idle longest. */
  lastDispatch: number;
  /** Tasks it answered `Unsupported task` for since it last registered (task-support.ts). */
  readonly unsupportedTasks: Set<string>;
};

/** A connected worker as tests see it. */
export type WorkerInfo = {
  workerId: string;
  configId: string;
  /** 0 while draining. */
  capacity: number;
  paused: boolean;
  draining: boolean;
  runningJobIds: string[];
  headers: IncomingHttpHeaders;
  connectionId: number;
};

export class WorkerRegistry {
  readonly #workers = new Map<string, WorkerRecord>();
  #dispatches = 0;

  /** Registers (or re-registers, starting afresh) the worker a connection speaks for. */
  register(connection: QueueConnection, frame: RegisterFrame): WorkerRecord {
    if (connection.workerId !== undefined && connection.workerId !== frame.worker_id) {
      this.disconnect(connection);
    }
    connection.workerId = frame.worker_id;
    const known = this.#workers.get(frame.worker_id);
    const record: WorkerRecord = known ?? {
      id: frame.worker_id,
      configId: frame.config_id,
      registeredCapacity: frame.capacity,
      dispatch: 'accepting',
      connection,
      running: new Set(),
      lastDispatch: 0,
      unsupportedTasks: new Set(),
    };
    record.configId = frame.config_id;
    record.registeredCapacity = frame.capacity;
    record.dispatch = 'accepting';
    record.connection = connection;
    record.unsupportedTasks.clear();
    this.#workers.set(record.id, record);
    return record;
  }

  /** Forgets the connection; the worker's running jobs stay with it. */
  disconnect(connection: QueueConnection): void {
    const record = connection.workerId === undefined ? undefined : this.get(connection.workerId);
    if (record?.connection === connection) record.connection = undefined;
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.#workers.get(workerId);
  }

  connected(): WorkerRecord[] {
    return [...this.#workers.values()].filter((record) => record.connection !== undefined);
  }

  /**
   * Connected workers that may ever take the job: those of config id `routeKey`; with
   * `routeOnly` false, any when none of that config id is connected.
   */
  candidates(routeKey: string | undefined, routeOnly = false): WorkerRecord[] {
    const live = this.connected().filter((record) => capacityOf(record) > 0);
    const routed = live.filter((record) => record.configId === routeKey);
    return routed.length > 0 || routeOnly ? routed : live;
  }

  /** Whether candidates are connected and every one of them said it lacks `task`. */
  noneServes(task: string, routeKey: string | undefined, routeOnly = false): boolean {
    const candidates = this.candidates(routeKey, routeOnly);
    return candidates.length > 0 && candidates.every((record) => record.unsupportedTasks.has(task));
  }

  /** The least-loaded candidate with room now, if any. */
  pick(routeKey: string | undefined, routeOnly = false): WorkerRecord | undefined {
    let best: WorkerRecord | undefined;
    for (const record of this.candidates(routeKey, routeOnly)) {
      if (!hasRoom(record)) continue;
      if (
        best === undefined ||
        record.running.size < best.running.size ||
        (record.running.size === best.running.size && record.lastDispatch < best.lastDispatch)
      ) {
        best = record;
      }
    }
    return best;
  }

  /** Whether any connected worker could take some job right now. */
  anyRoom(): boolean {
    return this.connected().some(hasRoom);
  }

  markDispatched(record: WorkerRecord, jobId: string): void {
    this.#dispatches += 1;
    record.lastDispatch = this.#dispatches;
    record.running.add(jobId);
  }

  info(): WorkerInfo[] {
    return this.connected().map((record) => ({
      workerId: record.id,
      configId: record.configId,
      capacity: capacityOf(record),
      paused: record.dispatch === 'paused',
      draining: record.dispatch === 'draining',
      runningJobIds: [...record.running],
      headers: record.connection!.headers,
      connectionId: record.connection!.id,
    }));
  }
}

export function capacityOf(record: WorkerRecord): number {
  return record.dispatch === 'draining' ? 0 : record.registeredCapacity;
}

function hasRoom(record: WorkerRecord): boolean {
  return (
    record.connection !== undefined &&
    record.dispatch === 'accepting' &&
    record.running.size < capacityOf(record)
  );
}
