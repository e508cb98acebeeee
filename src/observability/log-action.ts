/**
 * The `log` action every machine names: machines say what to log, src/ says where.
 */
import type { LogParams } from '../../machines/types.ts';
import type { Logger } from './logger.ts';

export function logAction(logger: Logger) {
  return (_: unknown, params: LogParams): void => {
    logger[params.level](params.fields ?? {}, params.message);
  };
}
