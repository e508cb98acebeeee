/**
 * `VLLM_SERVE_COMMAND` for the mock vLLM: this Node and this package's CLI, quoted for the
 * shell-style split the worker applies to the variable (paths may hold spaces).
 */
import { fileURLToPath } from 'node:url';

/** One word quoted for a POSIX-shell-style split. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** `'<node>' '<cli>' mock-vllm`, with the CLI beside this module (src/ or dist/). */
export function mockServeCommand(): string {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const cli = fileURLToPath(new URL(`../../cli.${extension}`, import.meta.url));
  return `${shellQuote(process.execPath)} ${shellQuote(cli)} mock-vllm`;
}
