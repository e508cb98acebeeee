import { createActor, getInitialSnapshot, transition } from 'xstate';
import { gateMachine } from './machines/gate.machine.ts';

const quiet = (machine: any) =>
  machine.provide({
    actions: Object.fromEntries(
      Object.entries(machine.implementations.actions)
        .filter(([, a]: any) => a?.type === 'xstate.sendTo')
        .map(([k]) => [k, () => {}]),
    ),
  });
const m = quiet(gateMachine);
const s0 = getInitialSnapshot(m, { capacity: 1 });
const ev = {
  type: 'JOB_OFFERED',
  job: { type: 'job', job_id: 'a', mode: 'persisted', config_id: 'c', fence_token: 1, payload: {} },
};
const td = m.getTransitionData(s0, ev);
console.log(
  td.map((t: any) => [
    t.source.id,
    t.eventType,
    t.guard,
    m.root.transitions.get('JOB_OFFERED').indexOf(t),
  ]),
);
const [s1] = transition(m, s0, ev);
console.log(s1.value, s1.context.running);
