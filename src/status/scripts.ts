/**
 * The browser scripts of the status pages, served as the files they are (src/status/assets/,
 * src/inspect/assets/: type-checked by tsconfig.browser.json, linted by Biome). `npm run
 * build` copies them beside the built code, so the same relative URLs find them in dist/.
 */
import { readFile } from 'node:fs/promises';

/** A script a page loads: the path the status server answers, and the file it answers with. */
export type PageScript = { readonly path: string; readonly file: URL };

export const JAVASCRIPT = 'text/javascript; charset=utf-8';

const loaded = new Map<string, Promise<string>>();

/** The script's text, read from disk once; a failed read is tried again on the next request. */
export function readScript(script: PageScript): Promise<string> {
  let text = loaded.get(script.file.href);
  if (text === undefined) {
    text = readFile(script.file, 'utf8');
    text.catch(() => loaded.delete(script.file.href));
    loaded.set(script.file.href, text);
  }
  return text;
}
