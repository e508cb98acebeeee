/**
 * `value`, typed as `value as const` types it (literal and readonly). State configs kept apart
 * from their machine are written `constant({ ... })` rather than `{ ... } as const`: Stryker
 * skips every `x as T` expression whole, the value with its type, so a state written `as const`
 * had no mutants at all and the model walks' mutation score never measured it.
 */
export function constant<const T>(value: T): T {
  return value;
}
