/** A state path as the oracles write it (`running.starting.spawning`), as a state value. */
export function stateValueOf(path: string): never {
  return path
    .split('.')
    .reduceRight<unknown>(
      (inner, key) => (inner === undefined ? key : { [key]: inner }),
      undefined,
    ) as never;
}
