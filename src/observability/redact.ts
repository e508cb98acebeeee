/**
 * Secrets inside values, kept out of logs: a URL's password and query (presigned URLs and
 * `?token=` carry credentials there), and the value of a command-line flag whose name says it
 * is a secret (`--api-key X`, `--hf-token=X`). Names alone (config.ts's maskValue) miss these.
 */

/** A name that says its value is a secret: the one word list every redaction reads. */
export const SENSITIVE_NAME = /token|key|secret|password|credential|auth/i;

const SENSITIVE_FLAG = new RegExp(`^--?[\\w-]*(${SENSITIVE_NAME.source})[\\w-]*$`, 'i');

/** The URL with its password and every query value replaced by `****`; other text as it is. */
export function redactUrl(text: string): string {
  if (!text.includes('://')) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password === '' && url.search === '') return text;
  if (url.password !== '') url.password = '****';
  for (const key of [...new Set(url.searchParams.keys())]) url.searchParams.set(key, '****');
  return url.toString();
}

/** Command-line arguments with the value of every secret-named flag replaced by `****`. */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    const [flag, value] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (value !== undefined && SENSITIVE_FLAG.test(flag)) return `${flag}=****`;
    const previous = args[i - 1];
    if (previous !== undefined && !previous.includes('=') && SENSITIVE_FLAG.test(previous)) {
      return arg.startsWith('-') ? arg : '****';
    }
    return redactUrl(arg);
  });
}
