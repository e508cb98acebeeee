/**
 * The environment variables of `casola-worker run`, for its `--help`: generated from the
 * configuration schema (src/config-schema.ts), so that a variable, its default and how to set
 * it cannot drift from what the worker reads.
 */
import {
  defaultOf,
  environmentFixes,
  environmentSchema,
  type VariableName,
} from '../config-schema.ts';

export type VariableHelp = {
  name: string;
  /** `required`, `optional`, or the default as one would set it (e.g. `60` for 60 s). */
  default: string;
  /** How to set it: the schema's fix text. */
  how: string;
};

/** Every variable of the schema, in its order. */
export function environmentVariables(): VariableHelp[] {
  return (Object.keys(environmentSchema.shape) as VariableName[]).map((name) => ({
    name,
    default: defaultOf(name),
    how: environmentFixes[name],
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
