/**
 * The bench's output: one JSON line per scenario (for machines, as each finishes) and a table
 * (for people, at the end).
 */
import type { ScenarioResult } from './registry.ts';

const COLUMNS: Array<[header: string, field: string]> = [
  ['scenario', 'scenario'],
  ['jobs/s', 'jobs_per_s'],
  ['floor jobs/s', 'floor_jobs_per_s'],
  ['ratio', 'ratio'],
  ['p50 ms', 'p50_ms'],
  ['p99 ms', 'p99_ms'],
  ['floor p50', 'floor_p50_ms'],
  ['floor p99', 'floor_p99_ms'],
  ['rss MB', 'rss_mb'],
  ['floor rss MB', 'floor_rss_mb'],
  ['cpu µs/job', 'cpu_us_per_job'],
  ['floor cpu µs/job', 'floor_cpu_us_per_job'],
  ['events/job', 'events_per_job'],
  ['target', 'target'],
  ['met', 'pass'],
];

export function jsonLine(result: ScenarioResult): string {
  return JSON.stringify(result);
}

export function table(results: readonly ScenarioResult[]): string {
  const cell = (result: ScenarioResult, field: string) => {
    const value = result[field];
    if (value === undefined || value === null) return '';
    if (field === 'pass') return value ? 'yes' : 'NO';
    return String(value);
  };
  const rows = [
    COLUMNS.map(([header]) => header),
    ...results.map((r) => COLUMNS.map(([, f]) => cell(r, f))),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!)))
      .join('  ');
  const notes = results.flatMap((r) =>
    typeof r.note === 'string' ? [`${r.scenario}: ${r.note}`] : [],
  );
  return [line(rows[0]!), ...rows.slice(1).map(line), ...notes].join('\n');
}
