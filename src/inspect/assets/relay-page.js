// @ts-check
/**
 * The /inspect page's script: it takes the worker's inspection events from the relay's
 * WebSocket (/inspect/ws), lists the latest on the page, and posts each to the Stately
 * Inspector in the iframe once the inspector says `@statelyai.connected` (the protocol of
 * @statelyai/inspect's browser inspector).
 *
 * @typedef {{
 *   type: string,
 *   name?: string,
 *   sessionId?: string,
 *   event?: { type?: string },
 *   snapshot?: { value?: unknown },
 * }} InspectionEvent
 */

/** Events listed on the page; older ones are dropped. */
const SHOWN = 200;

/**
 * @template {HTMLElement} E
 * @param {string} id
 * @returns {E}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the /inspect page has no #${id}`);
  return /** @type {E} */ (element);
}

/** @type {HTMLIFrameElement} */
const frame = byId('inspector');
const log = byId('events');
const count = byId('count');
const status = byId('status');
/** @type {InspectionEvent[]} */
const waiting = [];
let received = 0;
let inspectorReady = false;

/** @param {InspectionEvent} event */
function post(event) {
  frame.contentWindow?.postMessage(event, '*');
}

window.addEventListener('message', (message) => {
  if (message.source !== frame.contentWindow || message.data?.type !== '@statelyai.connected') {
    return;
  }
  inspectorReady = true;
  status.textContent = 'Stately Inspector connected';
  for (const event of waiting.splice(0)) post(event);
});
// Loaded only now that the page listens: the inspector says `@statelyai.connected` once.
frame.src = frame.dataset.src ?? '';

/** @param {InspectionEvent} event */
function show(event) {
  const item = document.createElement('li');
  const who = event.name || event.sessionId;
  const what =
    event.type === '@xstate.event'
      ? event.event?.type
      : event.type === '@xstate.snapshot'
        ? JSON.stringify(event.snapshot?.value)
        : '';
  item.dataset.type = event.type;
  item.textContent = `${event.type}  ${who}${what ? `  ${what}` : ''}`;
  log.prepend(item);
  while (log.children.length > SHOWN) log.lastChild?.remove();
}

const socket = new WebSocket(
  `${location.protocol === 'https:' ? 'wss://' : 'ws://'}${location.host}/inspect/ws`,
);
socket.onopen = () => {
  document.body.dataset.relay = 'open';
};
socket.onclose = () => {
  document.body.dataset.relay = 'closed';
  status.textContent = 'the worker closed the relay (stopped?)';
};
socket.onmessage = (message) => {
  /** @type {InspectionEvent} */
  const event = JSON.parse(message.data);
  received += 1;
  count.textContent = String(received);
  show(event);
  if (inspectorReady) post(event);
  else waiting.push(event);
};
