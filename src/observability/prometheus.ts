/**
 * Reading Prometheus text exposition (vLLM's `/metrics`): just enough to sum a metric over
 * all of its series, e.g. `vllm:num_requests_waiting`, which vLLM labels per model (and,
 * with several engines, per engine).
 */

/**
 * The sum of every sample of `name`, labelled or not; `undefined` when the text has none.
 * Comment lines (`# HELP`, `# TYPE`) and other metrics are ignored, including ones whose
 * names merely start with `name` (`name_total`).
 */
export function sumMetric(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const value = sampleValue(line.trim(), name);
    if (value !== undefined) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** The value of a sample line of `name`, or undefined when the line is anything else. */
function sampleValue(line: string, name: string): number | undefined {
  if (!line.startsWith(name)) return undefined;
  let rest = line.slice(name.length);
  if (rest.startsWith('{')) {
    const end = labelsEnd(rest);
    if (end === undefined) return undefined;
    rest = rest.slice(end + 1);
  }
  if (!/^\s/.test(rest)) return undefined;
  const [token] = rest.trim().split(/\s+/);
  return token === undefined ? undefined : parseSampleValue(token);
}

/** Index of the `}` closing a label set that starts at 0; quoted values may hold `}`. */
function labelsEnd(text: string): number | undefined {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === '}') return i;
  }
  return undefined;
}

function parseSampleValue(token: string): number | undefined {
  if (token === '+Inf') return Number.POSITIVE_INFINITY;
  if (token === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(token);
  return token === '' || Number.isNaN(value) ? undefined : value;
}
