/**
 * The environment variables of `casola-worker run`, for its `--help`: generated from the
 * configuration schema (src/config-schema.ts), so that a variable, its default and how to set
 * it cannot drift from what the worker reads.
 */
import type { z } from 'zod';
import { environmentFixes, environmentSchema } from '../config-schema.ts';

export type VariableHelp = {
  name: string;
  /** `required`, `optional`, or the default as one would set it (e.g. `60` for 60 s). */
  default: string;
  /** How to set it, from the schema's fix text. */
  how: string;
};

/** The text that, set as the variable, gives `value`: seconds read back from milliseconds. */
function asTyped(field: z.ZodType, value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'empty' : value.join(' ');
  if (typeof value !== 'number') return String(value);
  const candidates = [String(value), String(value / 1000)];
  return candidates.find((text) => field.safeParse(text).data === value) ?? String(value);
}

function defaultOf(field: z.ZodType): string {
  const def = field.def as { type: string; defaultValue?: unknown };
  if (def.type === 'default') return asTyped(field, def.defaultValue);
  return def.type === 'optional' ? 'optional' : 'required';
}

/** Every variable of the schema, in its order. */
export function environmentVariables(): VariableHelp[] {
  return Object.entries(environmentSchema.shape).map(([name, field]) => ({
    name,
    default: defaultOf(field as z.ZodType),
    how: environmentFixes[name as keyof typeof environmentFixes].replace(
      /\s*\(default [^)]*\)/,
      '',
    ),
  }));
}

/** The `Environment:` section of `casola-worker run --help`. */
export function environmentHelp(): string {
  const lines = environmentVariables().map((row) => {
    const value =
      row.default === 'required' || row.default === 'optional'
        ? row.default
        : `default: ${row.default}`;
    return `  ${row.name} (${value})\n      ${row.how}`;
  });
  return [
    '',
    'Environment (an empty value counts as unset; docs/configuration.md in the package says',
    'what each one does):',
    ...lines,
    '  LOG_LEVEL (default: info)\n      trace, debug, info, warn or error',
  ].join('\n');
}
