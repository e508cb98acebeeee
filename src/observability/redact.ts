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

/**
 * Which of `args` are secret values: the value of a secret-named flag (`--api-key=X`) and every
 * argument after one up to the next flag (`--api-key X Y`: vLLM declares `api_key: list[str]`,
 * nargs `+`, vllm-project/vllm main, vllm/entrypoints/openai/cli_args.py). The one rule both
 * redactions below read.
 */
function secretValueAt(args: readonly string[]): Array<string | undefined> {
  let inSecret = false;
  return args.map((arg) => {
    if (arg.startsWith('-')) {
      const [flag, value] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
      inSecret = SENSITIVE_FLAG.test(flag);
      return inSecret && value !== undefined && value !== '' ? value : undefined;
    }
    return inSecret ? arg : undefined;
  });
}

/** Command-line arguments with the values of every secret-named flag replaced by `****`. */
export function redactArgs(args: readonly string[]): string[] {
  const secrets = secretValueAt(args);
  return args.map((arg, i) => {
    if (secrets[i] === undefined) return redactUrl(arg);
    return arg.startsWith('-') ? `${arg.slice(0, arg.indexOf('=') + 1)}****` : '****';
  });
}

/**
 * The values of the secret-named flags in `args` (`--api-key X Y`, `--hf-token=X`): what a
 * program that echoes its own arguments would print. vLLM does, at start-up
 * (vllm-project/vllm main, vllm/entrypoints/serve/utils/api_utils.py `log_non_default_args`:
 * `non-default args: {..., 'api_key': ['sk-...', 'sk-...']}`; vllm/entrypoints/utils.py before).
 */
export function secretArgValues(args: readonly string[]): string[] {
  return secretValueAt(args).filter((value): value is string => value !== undefined);
}

/** `text` with every occurrence of each secret replaced by `****`. */
export function redactValues(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('****'), text);
}
