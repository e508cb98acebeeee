/**
 * The gate actor: the gate machine with logging.
 */
import { gateMachine } from '../../machines/gate.machine.ts';
import { logAction } from '../observability/log-action.ts';
import type { Logger } from '../observability/logger.ts';

export function createGateLogic(logger: Logger) {
  return gateMachine.provide({ actions: { log: logAction(logger) } });
}
