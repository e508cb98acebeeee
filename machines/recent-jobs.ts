/**
 * The gate's memory of recently settled jobs: the fence token each of the last `size`
 * settlements had, to recognise re-deliveries. A value, never mutated: `remember` returns a
 * new one that shares the old one's closed chunks, so it costs O(1) amortised where copying
 * a thousand entries per job had cost more than anything else a job does.
 *
 * Job ids come from the queue and may be long: besides the count, the ids held are bounded by
 * MAX_ID_CHARS (the oldest chunks are forgotten first, so huge ids shorten the memory).
 */

/** One settlement; `seq` counts settlements from 0. */
type Entry = { readonly jobId: string; readonly fenceToken: number; readonly seq: number };

/**
 * Closed settlements: job id → its latest entry in the chunk; `newest` is the highest seq,
 * `chars` the length of its ids.
 */
type Chunk = {
  readonly newest: number;
  readonly chars: number;
  readonly jobs: Readonly<Record<string, Entry>>;
};

export type RecentJobs = {
  /** Settlements so far. An entry is remembered while fewer than `size` came after it. */
  readonly count: number;
  /** The newest settlements, oldest first; closed into a chunk when chunkSize(size) long. */
  readonly open: readonly Entry[];
  /** Closed chunks, oldest first; dropped once every entry in them is forgotten. */
  readonly chunks: readonly Chunk[];
};

/**
 * Settlements per closed chunk: a sixteenth of the memory (63 of 1 000), so what is held past
 * the last `size` (the open chunk and the oldest chunk's forgotten entries) stays under an eighth
 * of it, and a small memory closes a chunk at every settlement or few.
 */
function chunkSize(size: number): number {
  return Math.ceil(size / 16);
}

/** Most characters of job ids remembered: 1 Mi (about 2 MiB). 40 ids of 8 MB had held 750 MB. */
export const MAX_ID_CHARS = 1024 * 1024;
/** The open chunk closes at this many characters of ids, so that the bound can drop it. */
const CHUNK_CHARS = MAX_ID_CHARS / 16;

export const noRecentJobs: RecentJobs = { count: 0, open: [], chunks: [] };

/** The fence token of the job's latest settlement among the last `size`, if any. */
export function recentToken(recent: RecentJobs, jobId: string, size: number): number | undefined {
  const entry = latestEntry(recent, jobId);
  return entry !== undefined && recent.count - entry.seq <= size ? entry.fenceToken : undefined;
}

export function remember(
  recent: RecentJobs,
  jobId: string,
  fenceToken: number,
  size: number,
): RecentJobs {
  const count = recent.count + 1;
  const open = [...recent.open, { jobId, fenceToken, seq: recent.count }];
  if (open.length < chunkSize(size) && charsOf(open) < CHUNK_CHARS) {
    return { count, open, chunks: recent.chunks };
  }
  const chunks = [...recent.chunks, close(open)].filter((chunk) => count - chunk.newest <= size);
  let chars = chunks.reduce((sum, chunk) => sum + chunk.chars, 0);
  while (chars > MAX_ID_CHARS && chunks.length > 1) chars -= chunks.shift()!.chars;
  return { count, open: [], chunks };
}

function charsOf(entries: readonly Entry[]): number {
  return entries.reduce((sum, entry) => sum + entry.jobId.length, 0);
}

function latestEntry(recent: RecentJobs, jobId: string): Entry | undefined {
  for (let i = recent.open.length - 1; i >= 0; i -= 1) {
    if (recent.open[i]!.jobId === jobId) return recent.open[i];
  }
  for (let i = recent.chunks.length - 1; i >= 0; i -= 1) {
    const entry = recent.chunks[i]!.jobs[jobId];
    if (entry !== undefined) return entry;
  }
  return undefined;
}

function close(entries: readonly Entry[]): Chunk {
  // A prototype-less record: job ids are data, and `__proto__` is just another id.
  const jobs: Record<string, Entry> = Object.create(null);
  for (const entry of entries) jobs[entry.jobId] = entry;
  return { newest: entries.at(-1)!.seq, chars: charsOf(entries), jobs };
}
