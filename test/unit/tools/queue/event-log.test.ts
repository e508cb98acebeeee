import { describe, expect, it } from 'vitest';
import { QueueEventTimeoutError } from '../../../../src/errors.ts';
import { EventLog, eventIs } from '../../../../src/tools/queue/event-log.ts';

const request = (path: string) => ({ kind: 'http_request' as const, method: 'GET', path });

describe('the event log', () => {
  it('numbers events and returns them oldest first', () => {
    const log = new EventLog(10);
    log.record(request('/a'));
    log.record(request('/b'));
    expect(log.all().map((event) => [event.seq, event.kind])).toEqual([
      [1, 'http_request'],
      [2, 'http_request'],
    ]);
    expect(log.lastSeq).toBe(2);
  });

  it('keeps at most its limit, dropping the oldest', () => {
    const log = new EventLog(3);
    for (let i = 0; i < 10; i += 1) log.record(request(`/${i}`));
    expect(log.all().map((event) => (event.kind === 'http_request' ? event.path : ''))).toEqual([
      '/7',
      '/8',
      '/9',
    ]);
  });

  it('waitFor resolves with a past match, a future match, or one after a given sequence number', async () => {
    const log = new EventLog(100);
    log.record(request('/old'));
    const past = await log.waitFor(eventIs('http_request', (event) => event.path === '/old'));
    expect(past.seq).toBe(1);
    const future = log.waitFor(eventIs('http_request'), { after: log.lastSeq });
    log.record(request('/new'));
    expect((await future).path).toBe('/new');
  });

  it('waitFor rejects with a named error naming the latest events', async () => {
    const log = new EventLog(100);
    log.record(request('/x'));
    const waiting = log.waitFor(eventIs('lease_expired'), { timeoutMs: 20 });
    await expect(waiting).rejects.toThrow(QueueEventTimeoutError);
    await expect(waiting).rejects.toThrow(/http_request/);
  });

  it('filter and subscribe see the typed events', () => {
    const log = new EventLog(100);
    const seen: string[] = [];
    const unsubscribe = log.subscribe((event) => seen.push(event.kind));
    log.record(request('/a'));
    log.record({ kind: 'job_timed_out', jobId: 'j' });
    unsubscribe();
    log.record(request('/b'));
    expect(seen).toEqual(['http_request', 'job_timed_out']);
    expect(log.filter(eventIs('job_timed_out')).map((event) => event.jobId)).toEqual(['j']);
  });
});
