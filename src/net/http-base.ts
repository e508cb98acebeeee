/**
 * The host part of a URL that reaches `host` from this machine: an IPv6 literal in brackets,
 * and a wildcard listen address (`0.0.0.0`, `::`, empty) as the loopback of its family.
 */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `http://host:port` for `urlHost(host)`: `http://[::1]:8000`, `http://127.0.0.1:8000`. */
export function httpBase(host: string, port: number): string {
  return `http://${urlHost(host)}:${port}`;
}

/**
 * `base` with `path` added to its path (trailing slashes of the base dropped), its query
 * string kept where it belongs: `wss://q/?token=t` and `/ws` give `wss://q/ws?token=t`.
 */
export function withPath(base: string, path: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url.toString();
}
