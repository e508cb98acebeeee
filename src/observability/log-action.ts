/**
 * The `log` action every machine names: machines say what to log (a line, or one per job or
 * result), src/ says where.
 */
import type { LogParams } from '../../machines/types.ts';
import type { Logger } from './logger.ts';

export function logAction(logger: Logger) {
  return (_: unknown, params: LogParams | readonly LogParams[]): void => {
    for (const line of isList(params) ? params : [params]) {
      logger[line.level](line.fields ?? {}, line.message);
    }
  };
}

const isList = (params: LogParams | readonly LogParams[]): params is readonly LogParams[] =>
  Array.isArray(params);
