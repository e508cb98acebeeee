/**
 * Placeholders for what src/ supplies with `.provide()`. They fail loudly: a machine started
 * without its implementations stops at once with an error naming the missing piece.
 */
import { type EventObject, fromCallback, fromPromise, type NonReducibleUnknown } from 'xstate';

function missing(machine: string, kind: string, name: string): Error {
  return new Error(`${machine}: provide the \`${name}\` ${kind} with .provide()`);
}

/** A callback actor that must be provided (a socket, a process, a poller). */
export function callbackNotProvided<TEvent extends EventObject, TInput = NonReducibleUnknown>(
  machine: string,
  name: string,
) {
  return fromCallback<TEvent, TInput>(() => {
    throw missing(machine, 'actor', name);
  });
}

/** A promise actor that must be provided (an upload, a check, a flush). */
export function promiseNotProvided<TOutput, TInput = NonReducibleUnknown>(
  machine: string,
  name: string,
) {
  return fromPromise<TOutput, TInput>(async () => {
    throw missing(machine, 'actor', name);
  });
}

/** The work of a light job (light-job.ts), which must be provided with its actor. */
export function lightWorkNotProvided(machine: string, name: string) {
  const fail = (): never => {
    throw missing(machine, 'actor', name);
  };
  return { startWork: fail, abortWork: fail };
}

/** An action that must be provided (logging, metrics). */
export function actionNotProvided(machine: string, name: string) {
  return (): never => {
    throw missing(machine, 'action', name);
  };
}
