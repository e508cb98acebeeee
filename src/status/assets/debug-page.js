// @ts-check
/**
 * The /debug page's script (plain browser JavaScript, no library): it listens to
 * /debug/events and redraws the tables and the highlighted states on every message.
 * Text from the worker only ever goes through textContent.
 *
 * @typedef {import('../debug-state.ts').DebugState} DebugState
 * @typedef {import('../debug-state.ts').RunningJobView} RunningJobView
 * @typedef {import('../actors.ts').ActorView} ActorView
 * @typedef {import('../jobs.ts').EndedJob} EndedJob
 */

/**
 * The page's element for `selector`; the page's HTML (debug-page.ts) has every one asked for.
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} selector
 * @returns {E}
 */
function $(selector) {
  const element = document.querySelector(selector);
  if (element === null) throw new Error(`the /debug page has no ${selector}`);
  return /** @type {E} */ (element);
}

/** @type {Element[]} */
let lit = [];

/**
 * @param {HTMLTableRowElement} row
 * @param {string} text
 * @param {string} [className]
 */
function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
}

/** @param {Readonly<Record<string, unknown>> | undefined} context */
function contextText(context) {
  return Object.entries(context || {})
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
    )
    .join('  ');
}

/** @param {number} ms */
function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

/** @param {readonly string[]} ids */
function highlight(ids) {
  for (const element of lit) element.classList.remove('active');
  lit = [];
  for (const id of ids) {
    const element = document.getElementById(id);
    if (element?.closest('.diagram')) {
      element.classList.add('active');
      lit.push(element);
    }
  }
}

/** @param {DebugState['readiness']} readiness */
function renderReadiness(readiness) {
  const badge = $('#readiness');
  badge.textContent = readiness.ready ? 'ready' : 'not ready';
  badge.className = `badge ${readiness.ready ? 'ok' : 'bad'}`;
  $('#reasons').textContent = readiness.ready ? '' : readiness.reasons.join('; ');
}

/** @param {readonly ActorView[]} actors */
function renderActors(actors) {
  $('#actors tbody').replaceChildren(
    ...actors.map((actor) => {
      const row = document.createElement('tr');
      row.dataset.actor = actor.id;
      row.dataset.state = actor.state;
      cell(row, actor.id, 'name');
      cell(row, actor.state, 'state');
      cell(row, contextText(actor.context), 'context');
      return row;
    }),
  );
  for (const actor of actors) {
    const caption = document.querySelector(`[data-caption="${actor.id}"]`);
    if (caption) caption.textContent = actor.state;
  }
}

/**
 * A job's row with the columns both tables have: job, task, mode, state.
 * @param {RunningJobView | EndedJob} job
 */
function jobRow(job) {
  const row = document.createElement('tr');
  row.dataset.job = job.jobId;
  row.dataset.state = job.state;
  cell(row, job.jobId, 'name');
  cell(row, job.task);
  cell(row, job.mode);
  cell(row, job.state, 'state');
  return row;
}

/** @param {RunningJobView} job @param {number} now */
function runningRow(job, now) {
  const row = jobRow(job);
  cell(row, String(job.fenceToken));
  cell(row, job.lease ? String(job.lease.context.renewals ?? 0) : '');
  cell(row, duration(Math.max(0, now - job.startedAt)));
  return row;
}

/** @param {EndedJob} job */
function endedRow(job) {
  const row = jobRow(job);
  row.dataset.outcome = job.outcome;
  cell(row, job.error ? `${job.outcome}: ${job.error}` : job.outcome, `outcome ${job.outcome}`);
  cell(row, duration(job.durationMs));
  return row;
}

/**
 * @param {readonly RunningJobView[]} jobs
 * @param {readonly EndedJob[]} recent
 * @param {number} now
 */
function renderJobs(jobs, recent, now) {
  $('#jobs tbody').replaceChildren(...jobs.map((job) => runningRow(job, now)));
  $('#jobs-empty').hidden = jobs.length > 0;
  $('#recent tbody').replaceChildren(...recent.map(endedRow));
  $('#recent-empty').hidden = recent.length > 0;
  const leases = jobs.filter((job) => job.lease);
  $('[data-caption="job"]').textContent =
    leases.length === 0
      ? 'no persisted job running'
      : leases.map((job) => `${job.jobId}: ${job.state}`).join(', ');
}

/** @param {DebugState} state */
function render(state) {
  renderReadiness(state.readiness);
  renderActors(state.actors);
  renderJobs(state.jobs, state.recentJobs, Date.parse(state.at));
  highlight([
    ...state.actors.flatMap((actor) => actor.active),
    ...state.jobs.flatMap((job) => (job.lease ? job.lease.active : [])),
  ]);
  $('#updated').textContent = new Date(state.at).toLocaleTimeString();
}

/** @param {boolean} on */
function live(on) {
  const badge = $('#live');
  badge.textContent = on ? 'live' : 'disconnected (worker stopped?)';
  badge.className = `badge ${on ? 'ok' : 'bad'}`;
}

const events = new EventSource('/debug/events');
events.onopen = () => live(true);
events.onerror = () => live(false);
events.onmessage = (message) => render(JSON.parse(message.data));
