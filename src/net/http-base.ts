/** `http://host:port`, an IPv6 literal in brackets (`http://[::1]:8000`) as URLs require. */
export function httpBase(host: string, port: number): string {
  const literal = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${literal}:${port}`;
}
