import { getMicrosteps } from 'xstate';
import { createTestModel, getStateNodes } from 'xstate/graph';
import { gateMachine } from './machines/gate.machine.ts';

const job = (id: string, t: number) => ({
  type: 'job',
  job_id: id,
  mode: 'persisted',
  config_id: 'c',
  fence_token: t,
  payload: {},
});
const events = [
  ...[
    ['a', 1],
    ['a', 2],
    ['b', 3],
    ['c', 4],
  ].flatMap(([id, t]) => [
    { type: 'JOB_OFFERED', job: job(id as string, t as number) },
    { type: 'JOB_SETTLED', jobId: id, fenceToken: t },
  ]),
  { type: 'BACKPRESSURE_READING', waiting: 0 },
  { type: 'BACKPRESSURE_READING', waiting: 5 },
];
const quiet = (machine: any) =>
  machine.provide({
    actions: Object.fromEntries(
      Object.entries(machine.implementations.actions)
        .filter(([, a]: any) => a?.type === 'xstate.sendTo')
        .map(([k]) => [k, () => {}]),
    ),
  });
const m = quiet(gateMachine);
const adj = createTestModel(m as any, { input: { capacity: 1 }, events } as any).getAdjacencyMap();
const entries = Object.values(adj) as any[];
let edges = 0;
const ids = new Set<string>();
const idOf = (t: any) =>
  t.eventType === '' || !t.source.transitions.get(t.eventType)
    ? `${t.source.id}|always|${t.source.always.indexOf(t)}`
    : `${t.source.id}|${t.eventType}|${t.source.transitions.get(t.eventType).indexOf(t)}`;
for (const e of entries)
  for (const { event } of Object.values(e.transitions) as any[]) {
    edges++;
    for (const t of (m as any).getTransitionData(e.state, event)) ids.add(idOf(t));
    const micro = getMicrosteps(m as any, e.state, event);
    if (micro.length > 1)
      console.log(
        'micro',
        micro.length,
        event.type,
        JSON.stringify(micro.map(([s]: any) => s.value)),
      );
  }
console.log('states', entries.length, 'edges', edges, 'transitions', ids.size);
console.log([...ids].sort().join('\n'));
const first = entries[0];
console.log('initial', JSON.stringify(first.state.value), JSON.stringify(first.state.context));
for (const { event } of Object.values(first.transitions) as any[])
  console.log(
    event.type,
    JSON.stringify(event).slice(0, 80),
    (m as any).getTransitionData(first.state, event).map(idOf),
  );
