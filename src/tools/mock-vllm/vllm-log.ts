/**
 * Output that reads like `vllm serve`: `LEVEL MM-DD HH:MM:SS [file.py:line] message` for
 * vLLM's own lines and uvicorn's `INFO:     ...` lines for the HTTP server, so the worker's
 * line reader and level detection see what they see in production.
 */

/** Where lines go; the CLI writes them to stdout, in-process users may collect them. */
export type LineSink = (line: string) => void;

export type VllmLog = {
  info(source: string, message: string): void;
  warning(source: string, message: string): void;
  error(source: string, message: string): void;
  /** A uvicorn line: `INFO:     <message>`. */
  uvicorn(message: string): void;
  /** A line exactly as given (tracebacks, injected failure lines). */
  raw(line: string): void;
};

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/** `11-28 18:00:00` in local time, as vLLM's formatter prints it. */
export function vllmTimestamp(date: Date = new Date()): string {
  const day = `${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  return `${day} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

export function createVllmLog(sink: LineSink | undefined): VllmLog {
  const write = sink ?? (() => {});
  const line = (level: string) => (source: string, message: string) =>
    write(`${level} ${vllmTimestamp()} [${source}] ${message}`);
  return {
    info: line('INFO'),
    warning: line('WARNING'),
    error: line('ERROR'),
    uvicorn: (message) => write(`INFO:     ${message}`),
    raw: write,
  };
}
