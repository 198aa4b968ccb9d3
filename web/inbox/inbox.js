// Balie staff inbox: the page logic behind web/inbox/index.html.
//
// Design: one plain ES module, no framework and no build step. The HTML holds
// every static control (forms, buttons, live regions) so focus never gets lost
// when data changes; this module only fills lists and texts. Everything that
// comes from residents or the API is put into the page with textContent,
// createTextNode or setAttribute of harmless attributes, never parsed as HTML,
// and never used to build a URL (an attachment's SHA-256 only after it
// matched 64 hex digits). Files are downloads only, never shown in the page.
// The access token lives in sessionStorage only and travels in the
// Authorization header, so live updates read the event stream with fetch()
// instead of EventSource (which cannot send headers), and files are fetched
// as bytes and saved through an object URL (a plain link cannot carry it).
//
// The pure helpers (SMS size in words, plain-language hints, the promise to the
// resident and their needs in words) are exported so the tests can check them
// directly; the page starts only when there is a DOM.

import { plainLanguageHints, MAX_SENTENCE_WORDS } from './plain-language.js';

const API = '/api/v1';
const TOKEN_KEY = 'balie.staff-token';
const SHORTCUTS_KEY = 'balie.shortcuts';
// One page of cases: small enough to render at once, large enough to scan.
const PAGE_SIZE = 25;
// The API serves at most 100 cases per request (contract bound).
const MAX_PAGE = 100;
// Hints are recomputed once the writer pauses, so a screen reader is not
// interrupted after every key.
const HINT_DELAY_MS = 700;
// New-case announcements: at most one every 10 s, the rest are combined.
const ANNOUNCE_INTERVAL_MS = 10000;
// Event stream reconnect backoff: from 1 s doubling to 30 s.
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30000;
// Events come in bursts (a reply creates a message and a delivery event);
// one refresh per burst is enough.
const REFRESH_DELAY_MS = 150;
// Browsers allow six connections per host over HTTP/1.1; leave room for
// ordinary requests.
const MAX_STREAMS = 4;

// ---------------------------------------------------------------------------
// Words shown to staff.

const CHANNEL_WORDS = { email: 'E-mail', sms: 'Sms', webchat: 'Webchat', phone: 'Telefoon', messenger: 'Messenger' };
const STATE_WORDS = { open: 'Open', claimed: 'Opgepakt', closed: 'Gesloten' };
const PRIORITY_WORDS = { low: 'Laag', normal: 'Normaal', high: 'Hoog', urgent: 'Spoed' };
const DIRECTION_WORDS = { inbound: 'Binnengekomen', outbound: 'Uitgaand' };
const DELIVERY_WORDS = {
  queued: 'In de wachtrij', held: 'Wacht: dit kanaal staat uit', sent: 'Verstuurd', delivered: 'Afgeleverd', read: 'Gelezen', expired: 'Verlopen',
};

const word = (table, key) => table[key] ?? String(key ?? '');

/** Simple line icons per channel (24×24); the channel's word always stands next to them. */
const CHANNEL_ICONS = {
  email: 'M3 6h18v12H3z M3 6l9 7 9-7',
  sms: 'M7 3h10v18H7z M10 18h4',
  webchat: 'M4 5h16v10H9l-5 4z',
  phone: 'M6 3l3 1 1 4-2 2a11 11 0 0 0 6 6l2-2 4 1 1 3-2 3C10 21 3 14 3 5z',
  messenger: 'M12 4c5 0 8 3 8 7s-3 7-8 7l-5 3 1-4c-2-1-4-3-4-6 0-4 3-7 8-7z',
};

/** The channel as an icon (hidden from screen readers) and a word. */
function channelLabel(channel) {
  const span = el('span', 'balie-channel');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'balie-channel__icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', CHANNEL_ICONS[channel] || CHANNEL_ICONS.webchat);
  svg.append(path);
  span.append(svg, el('span', 'balie-channel__word', word(CHANNEL_WORDS, channel)));
  return span;
}

/**
 * What a resident said they need (case `needs`, a case-message's resident.needs):
 * the words staff see, and a short hint of what to do. Every need of
 * config/case-message-1.schema.json has an entry (composer.test.mjs checks it).
 */
export const NEED_WORDS = {
  'screen-reader': { words: 'Gebruikt een schermlezer', hint: 'Antwoord in korte zinnen, zonder bijlagen of plaatjes.' },
  'text-relay': { words: 'Belt via Teletolk (doof of slechthorend)', hint: 'Bel terug via Teletolk, of antwoord schriftelijk.' },
  'sign-language': { words: 'Gebruikt gebarentaal', hint: 'Bied een gesprek met een tolk gebarentaal aan.' },
  'plain-language': { words: 'Wil eenvoudige taal', hint: 'Schrijf korte zinnen met gewone woorden.' },
  'large-text': { words: 'Leest liever grote letters', hint: 'Houd het antwoord kort; stuur geen kleine letters in een bijlage.' },
  interpreter: { words: 'Heeft een tolk nodig', hint: 'Regel een tolk voor een gesprek.' },
  callback: { words: 'Wil teruggebeld worden', hint: 'Bel de inwoner terug.' },
};

/** The known needs of a case or message, in words and hints; unknown values are left out. */
export function needItems(needs) {
  if (!Array.isArray(needs)) return [];
  return [...new Set(needs)].filter((n) => Object.hasOwn(NEED_WORDS, n)).map((n) => ({ need: n, ...NEED_WORDS[n] }));
}

/** The delivery status of an outbound message in words. */
export function deliveryText(delivery) {
  if (!delivery) return 'Status onbekend';
  if (delivery.status === 'failed') return `Mislukt: ${delivery.last_error || 'reden onbekend'}`;
  return word(DELIVERY_WORDS, delivery.status);
}

// ---------------------------------------------------------------------------
// The plain-language hints live in plain-language.js (the API checks saved replies with the same
// table); exported here too for the composer's tests.
export { plainLanguageHints };

// ---------------------------------------------------------------------------
// Times.

const DATE_TIME = new Intl.DateTimeFormat('nl-NL', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Amsterdam',
});

function formatTime(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : DATE_TIME.format(new Date(t));
}

// A promise to a resident: the weekday and the time in words, "dinsdag 8 december, 17:00".
const PROMISE_DATE = new Intl.DateTimeFormat('nl-NL', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'Europe/Amsterdam' });
const PROMISE_DATE_YEAR = new Intl.DateTimeFormat('nl-NL', {
  weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Amsterdam',
});
const PROMISE_TIME = new Intl.DateTimeFormat('nl-NL', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Amsterdam' });
const YEAR = new Intl.DateTimeFormat('nl-NL', { year: 'numeric', timeZone: 'Europe/Amsterdam' });

/** A moment as staff read a promise: "dinsdag 8 december, 17:00" (with the year when it is not this year). */
export function promiseTimeText(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const date = new Date(t);
  const sameYear = YEAR.format(date) === YEAR.format(new Date(now));
  return `${(sameYear ? PROMISE_DATE : PROMISE_DATE_YEAR).format(date)}, ${PROMISE_TIME.format(date)}`;
}

/**
 * What the resident was promised and where it stands, in words; null when
 * nothing was promised. kind: 'promised' (waiting, in time), 'overdue' (the time
 * passed and nobody acted) or 'taken' (a person acted). lead is said first
 * and stands out; text is the whole line.
 */
export function promiseText(c, now = Date.now()) {
  const by = promiseTimeText(c?.answer_by, now);
  if (!by) return null;
  const taken = promiseTimeText(c.human_at, now);
  if (taken) {
    const late = Date.parse(c.human_at) > Date.parse(c.answer_by);
    const lead = late ? `Opgepakt op ${taken}, na de beloofde tijd.` : `Opgepakt op ${taken}.`;
    const rest = `De belofte was: antwoord vóór ${by}.`;
    return { kind: 'taken', lead, rest, text: `${lead} ${rest}` };
  }
  if (c.overdue === true) {
    const rest = `de beloofde tijd is voorbij. Antwoord beloofd vóór ${by}.`;
    return { kind: 'overdue', lead: 'Te laat:', rest, text: `Te laat: ${rest}` };
  }
  const text = `Antwoord beloofd vóór ${by}.`;
  return { kind: 'promised', lead: '', rest: text, text };
}

/** How long ago, in plain words ("3 uur"). */
export function ageText(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const minutes = Math.max(0, Math.floor((now - t) / 60000));
  if (minutes < 1) return 'minder dan een minuut';
  if (minutes < 60) return minutes === 1 ? '1 minuut' : `${minutes} minuten`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} uur`;
  const days = Math.floor(hours / 24);
  return `${days} dagen`;
}

// ---------------------------------------------------------------------------
// The page. Everything below needs a DOM.

const state = {
  token: null,
  me: null,
  inboxes: [],          // from GET /inboxes
  inboxId: null,        // chosen inbox
  filters: { state: '', channel: '', priority: '' },
  cases: [],
  nextCursor: null,
  caseId: null,         // chosen case
  caseData: null,
  jargon: {},
  streams: new Map(),   // inbox -> AbortController
  lastEventId: new Map(),
  dirty: { inboxes: false, cases: false, case: false },
  refreshTimer: null,
  pendingNew: new Map(), // inbox -> number of new cases not yet announced
  lastAnnounce: 0,
  announceTimer: null,
  search: { q: '', results: [], nextCursor: null },
  savedReplies: [],     // for the open case, variables filled in
};

const $ = (id) => document.getElementById(id);

/** A new element with text (never HTML) and a fixed set of safe attributes. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** fetch() on the staff API with the token; a failed answer becomes an ApiError (401 signs out). */
async function apiFetch(path, { method = 'GET', body, accept = 'application/json' } = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(API + path, {
    method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const type = res.headers.get('Content-Type') || '';
    const problem = type.includes('json') ? await res.json().catch(() => null) : null;
    if (res.status === 401 && state.me) signOut('Uw toegangscode werkt niet meer. Log opnieuw in.');
    throw new ApiError(res.status, problem);
  }
  return res;
}

/** A JSON call on the staff API: the parsed answer, or null when it has no JSON body. */
async function api(path, options) {
  const res = await apiFetch(path, options);
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json().catch(() => null) : null;
}

const enc = encodeURIComponent;

// What a problem type means for the staff member, in Dutch: the API's own
// detail is English and for developers, so it is not shown.
const PROBLEM_WORDS = {
  'claimed-by-other': 'Een collega werkt aan deze zaak. U kunt pas iets doen als die de zaak vrijgeeft.',
  'case-closed': 'Deze zaak is gesloten. Heropen de zaak eerst.',
  'not-claimed': 'Niemand werkt nu aan deze zaak.',
  'same-inbox': 'De zaak staat al in dit postvak.',
  'not-closed': 'Deze zaak is niet gesloten.',
  conflict: 'De zaak is net veranderd. Bekijk de zaak opnieuw.',
  forbidden: 'U hebt geen toegang tot deze zaak of dit postvak.',
  'not-found': 'Deze zaak bestaat niet meer.',
  'temporarily-unavailable': 'Balie kan de gegevens nu niet bereiken. Probeer het over een paar seconden opnieuw.',
  'invalid-request': 'Balie kon dit niet verwerken. Controleer wat u hebt ingevuld.',
  'invalid-parameter': 'Balie kon dit niet verwerken. Controleer wat u hebt ingevuld.',
};

/** A problem+json answer as one plain Dutch sentence for the status line. */
function problemText(err) {
  if (err instanceof ApiError) {
    const slug = String(err.problem?.type || '').split(':').pop();
    return PROBLEM_WORDS[slug] || `Dat lukte niet (fout ${err.status}). Probeer het opnieuw.`;
  }
  return 'Balie is niet bereikbaar. Controleer uw verbinding en probeer het opnieuw.';
}

// A live region only speaks when its text changes: clear it first.
function speak(node, text) {
  node.textContent = '';
  setTimeout(() => { node.textContent = text; }, 50);
}
const setStatus = (text) => speak($('status'), text);

// ---------------------------------------------------------------------------
// Sign in and out.

function showFieldError(field, errorNode, text) {
  errorNode.textContent = text;
  errorNode.hidden = false;
  field.setAttribute('aria-invalid', 'true');
}

function clearFieldError(field, errorNode) {
  errorNode.textContent = '';
  errorNode.hidden = true;
  field.removeAttribute('aria-invalid');
}

async function signIn(token, { fromStorage = false } = {}) {
  const field = $('token');
  state.token = token;
  try {
    state.me = await api('/me');
  } catch (err) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    if (fromStorage) return;
    const text = err instanceof ApiError && (err.status === 401 || err.status === 403)
      ? 'Deze toegangscode klopt niet. Controleer de code en probeer het opnieuw.'
      : problemText(err);
    showFieldError(field, $('token-error'), text);
    field.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  clearFieldError(field, $('token-error'));
  field.value = '';
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('user-bar').hidden = false;
  $('user-name').textContent = `Ingelogd als ${state.me.name}`;
  // Only where inboxes propose cases to staff does the answer say whether one is available.
  $('availability-field').hidden = typeof state.me.available !== 'boolean';
  $('available').checked = state.me.available === true;
  await loadInboxes();
  startStreams();
  const first = state.inboxes.find((i) => i.id === state.inboxId) || state.inboxes[0];
  if (first) await chooseInbox(first.id, { focus: false });
  $('inboxes-title').focus();
  setStatus(`U bent ingelogd als ${state.me.name}.`);
}

function signOut(message) {
  stopStreams();
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { token: null, me: null, inboxes: [], inboxId: null, cases: [], nextCursor: null, caseId: null, caseData: null });
  $('app').hidden = true;
  $('user-bar').hidden = true;
  $('case').hidden = true;
  $('sign-in').hidden = false;
  $('inbox-list').replaceChildren();
  $('case-rows').replaceChildren();
  $('conversation').replaceChildren();
  closeSearch();
  $('search-q').value = '';
  if (message) showFieldError($('token'), $('token-error'), message);
  $('token').focus();
  setStatus(message || 'U bent uitgelogd.');
}

// ---------------------------------------------------------------------------
// Inboxes.

async function loadInboxes() {
  const data = await api('/inboxes');
  state.inboxes = data?.inboxes || [];
  renderInboxes();
}

const inboxName = (id) => state.inboxes.find((i) => i.id === id)?.name || id;

// Updated in place, never rebuilt: live updates re-render the list often, and a button
// replaced between a press and its release would swallow the click.
function renderInboxes() {
  const list = $('inbox-list');
  const existing = new Map([...list.querySelectorAll('button[data-inbox]')].map((b) => [b.dataset.inbox, b.closest('li')]));
  const items = state.inboxes.map((inbox) => {
    let li = existing.get(inbox.id);
    if (!li) {
      const button = el('button', 'balie-inbox-button');
      button.type = 'button';
      button.dataset.inbox = inbox.id;
      button.append(el('span', 'balie-inbox-button__name'), el('span', 'balie-inbox-button__counts'), el('span', 'balie-inbox-button__age'));
      button.addEventListener('click', () => chooseInbox(inbox.id, { focus: true }));
      li = el('li');
      li.append(button);
    }
    const button = li.querySelector('button');
    if (inbox.id === state.inboxId) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
    const open = inbox.open_cases ?? 0;
    const unanswered = inbox.unanswered_cases ?? 0;
    setText(button.querySelector('.balie-inbox-button__name'), inbox.name);
    setText(button.querySelector('.balie-inbox-button__counts'),
      `${open} ${open === 1 ? 'open zaak' : 'open zaken'}, ${unanswered} zonder antwoord`);
    setText(button.querySelector('.balie-inbox-button__age'), inbox.oldest_unanswered_at
      ? `Oudste wacht al ${ageText(inbox.oldest_unanswered_at)}`
      : 'Niemand wacht op antwoord');
    return li;
  });
  // Only a changed order or set of inboxes moves nodes; a moved button keeps the focus.
  const same = items.length === list.children.length && items.every((li, i) => list.children[i] === li);
  if (same) return;
  const focused = document.activeElement?.closest?.('#inbox-list button');
  list.replaceChildren(...items);
  if (focused?.isConnected && document.activeElement !== focused) focused.focus();
}

/** Sets a node's text only when it changed: no needless mutation for screen readers. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

async function chooseInbox(id, { focus }) {
  if (state.inboxId !== id) {
    state.inboxId = id;
    closeCase();
  }
  renderInboxes();
  await loadCases({ append: false });
  if (focus) $('cases-title').focus();
}

// ---------------------------------------------------------------------------
// Cases of the chosen inbox.

function casesQuery(limit, cursor) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filters)) if (v) q.set(k, v);
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return `/inboxes/${enc(state.inboxId)}/cases?${q}`;
}

// Each list request's number: only the latest one's answer is shown. An older answer
// (a live refresh of the inbox just left) must never replace the list of the inbox now open.
let casesRequest = 0;

async function loadCases({ append, keepCount = false }) {
  if (!state.inboxId) return;
  const request = ++casesRequest;
  // A live refresh reloads as many cases as were on screen, so "meer laden"
  // pages do not disappear.
  const limit = keepCount ? Math.min(MAX_PAGE, Math.max(PAGE_SIZE, state.cases.length)) : PAGE_SIZE;
  let data;
  try {
    data = await api(casesQuery(limit, append ? state.nextCursor : null));
  } catch (err) {
    if (request === casesRequest) setStatus(problemText(err));
    return;
  }
  if (request !== casesRequest) return;
  const before = state.cases.length;
  state.cases = append ? state.cases.concat(data.cases || []) : (data.cases || []);
  state.nextCursor = data.next_cursor || null;
  renderCases();
  if (append) {
    const added = state.cases.length - before;
    setStatus(added === 1 ? '1 zaak erbij geladen.' : `${added} zaken erbij geladen.`);
    const firstNew = state.cases[before];
    if (firstNew) caseButton(firstNew.id)?.focus();
  }
}

const caseButton = (id) => $('case-rows').querySelector(`button[data-case="${CSS.escape(id)}"]`);

function renderCases() {
  const name = inboxName(state.inboxId);
  $('cases-title').textContent = `Zaken in ${name}`;
  $('cases-caption').textContent = `Zaken in ${name}`;
  const focusedId = document.activeElement?.closest?.('#case-rows button')?.dataset.case;
  const rows = state.cases.map((c) => {
    const tr = el('tr', 'utrecht-table__row');
    const first = el('th', 'utrecht-table__header-cell balie-case-cell');
    first.scope = 'row';
    const button = el('button', 'balie-case-button');
    button.type = 'button';
    button.dataset.case = c.id;
    if (c.id === state.caseId) button.setAttribute('aria-current', 'true');
    button.append(el('span', 'balie-case-button__ref', c.reference), document.createTextNode(' '),
      el('span', 'balie-case-button__subject', subjectText(c)));
    button.addEventListener('click', () => openCase(c.id, { focus: 'case' }));
    first.append(button);
    if (c.confidential) first.append(el('span', 'balie-case-cell__resident', confidentialText(c)));
    if (c.resident_name) first.append(el('span', 'balie-case-cell__resident', `Van ${c.resident_name}`));
    if (c.preview) first.append(el('span', 'balie-case-cell__preview', c.preview));
    // The promise and the needs in the widest cell, so they stay readable.
    const promise = promiseText(c);
    if (promise) first.append(fillPromise(el('span'), 'balie-promise balie-promise--short', promise));
    const needs = needItems(c.needs);
    if (needs.length) {
      const ul = el('ul', 'balie-case-needs');
      for (const n of needs) ul.append(el('li', 'balie-case-needs__item', n.words));
      first.append(ul);
    }
    tr.append(first);
    const channelCell = el('td', 'utrecht-table__cell');
    channelCell.append(channelLabel(c.channel));
    tr.append(channelCell);
    tr.append(el('td', `utrecht-table__cell balie-priority balie-priority--${c.priority === 'urgent' || c.priority === 'high' ? 'high' : 'normal'}`,
      word(PRIORITY_WORDS, c.priority)));
    const status = el('td', 'utrecht-table__cell');
    status.append(el('span', 'balie-state', word(STATE_WORDS, c.state)));
    if (c.state === 'claimed' && c.assignee) status.append(el('span', 'balie-state__detail', `door ${c.assignee}`));
    else if (c.state === 'open' && c.proposed_to) status.append(el('span', 'balie-state__detail', proposalText(c)));
    if (c.unanswered && c.state !== 'closed') status.append(el('span', 'balie-badge', 'Wacht op antwoord'));
    tr.append(status);
    const updated = el('td', 'utrecht-table__cell');
    const time = el('time', null, formatTime(c.updated_at));
    time.setAttribute('datetime', c.updated_at || '');
    updated.append(time);
    tr.append(updated);
    return tr;
  });
  $('case-rows').replaceChildren(...rows);
  $('cases-scroll').hidden = rows.length === 0;
  $('cases-empty').hidden = rows.length !== 0;
  $('load-more').hidden = !state.nextCursor;
  if (focusedId) caseButton(focusedId)?.focus();
}

// ---------------------------------------------------------------------------
// Search: every inbox of the staff member. Always a POST, so an address or a
// name never ends up in a URL or an access log.

const SEARCH_PAGE = 20;
const MATCH_WORDS = { reference: 'gevonden op referentie', address: 'gevonden op adres', words: 'gevonden op woorden' };

/** What a search found, in one sentence for the status line and the summary. */
export function searchSummaryText(count, more) {
  if (count === 0) return 'Geen zaken gevonden. Probeer een ander woord, de referentie of het adres van de inwoner.';
  const n = count === 1 ? '1 zaak' : `${count} zaken`;
  return `${n} gevonden${more ? '. Er zijn meer resultaten' : ''}.`;
}

async function runSearch({ append }) {
  const q = append ? state.search.q : $('search-q').value.trim();
  if (!q) {
    showFieldError($('search-q'), $('search-error'), 'Vul in wat u zoekt: een referentie, naam, adres of woorden.');
    $('search-q').focus();
    return;
  }
  clearFieldError($('search-q'), $('search-error'));
  const body = { q, limit: SEARCH_PAGE };
  if (append && state.search.nextCursor) body.cursor = state.search.nextCursor;
  let data;
  try {
    data = await api('/search', { method: 'POST', body });
  } catch (err) {
    setStatus(problemText(err));
    return;
  }
  const firstNew = append ? state.search.results.length : 0;
  state.search = { q, results: append ? state.search.results.concat(data.results) : data.results, nextCursor: data.next_cursor };
  renderSearch();
  const summary = searchSummaryText(state.search.results.length, !!state.search.nextCursor);
  setStatus(summary);
  if (append) $('search-list').querySelectorAll('button[data-case]')[firstNew]?.focus();
  else $('search-title').focus();
}

/** The subject as staff may see it: a confidential case they may not read says so instead. */
function subjectText(c) {
  if (c.withheld) return '(vertrouwelijk)';
  return c.subject || '(geen onderwerp)';
}

/** What a confidential case means for this staff member, in words. */
function confidentialText(c) {
  return c.withheld
    ? 'Vertrouwelijke zaak. U mag deze zaak niet lezen. Verplaats hem naar een collega die dat wel mag, of schrijf een notitie.'
    : 'Vertrouwelijke zaak. Deel de inhoud alleen met collega\'s die hem mogen lezen.';
}

function renderSearch() {
  const items = state.search.results.map((hit) => {
    const c = hit.case;
    const li = el('li', 'balie-search-hit');
    const button = el('button', 'balie-case-button');
    button.type = 'button';
    button.dataset.case = c.id;
    button.append(el('span', 'balie-case-button__ref', c.reference), document.createTextNode(' '),
      el('span', 'balie-case-button__subject', subjectText(c)));
    button.addEventListener('click', () => openCase(c.id, { focus: 'case' }));
    const facts = el('p', 'balie-search-hit__facts');
    facts.append(channelLabel(c.channel), document.createTextNode(` · ${inboxName(c.inbox)} · ${word(STATE_WORDS, c.state)}`));
    if (c.resident_name) facts.append(document.createTextNode(` · Van ${c.resident_name}`));
    facts.append(document.createTextNode(` · ${MATCH_WORDS[hit.match] || ''}`));
    li.append(button, facts);
    if (hit.snippet) li.append(el('p', 'balie-search-hit__snippet', hit.snippet));
    return li;
  });
  $('search-list').replaceChildren(...items);
  $('search-summary').textContent = searchSummaryText(state.search.results.length, !!state.search.nextCursor);
  $('search-more').hidden = !state.search.nextCursor;
  $('search-results').hidden = false;
}

function closeSearch() {
  state.search = { q: '', results: [], nextCursor: null };
  $('search-results').hidden = true;
  $('search-list').replaceChildren();
}

// ---------------------------------------------------------------------------
// One case.

function closeCase() {
  state.caseId = null;
  state.caseData = null;
  $('case').hidden = true;
}

async function openCase(id, { focus } = {}) {
  const changed = state.caseId !== id;
  state.caseId = id;
  for (const b of $('case-rows').querySelectorAll('button[data-case]')) {
    if (b.dataset.case === id) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
  if (changed) {
    clearComposer();
    $('case-ack').open = false;
    loadSavedReplies(id);
  }
  await loadCase();
  if (focus === 'case') $('case-title').focus();
  else if (focus === 'list') caseButton(id)?.focus();
}

// As for lists: only the latest case request's answer is shown. Live updates reload the
// open case; an older answer (without the acknowledgement written just after the case)
// must not replace a newer one, nor fold what staff just unfolded.
let caseRequest = 0;

async function loadCase() {
  const id = state.caseId;
  if (!id) return;
  const request = ++caseRequest;
  let data;
  try {
    data = await api(`/cases/${enc(id)}`);
  } catch (err) {
    if (request !== caseRequest) return;
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) {
      closeCase();
      setStatus('Deze zaak staat niet meer in uw postvakken.');
    } else {
      setStatus(problemText(err));
    }
    return;
  }
  if (request !== caseRequest || state.caseId !== id) return; // a newer request, or another case chosen meanwhile
  state.caseData = data;
  renderCase();
}

// ---------------------------------------------------------------------------
// Saved replies: the inbox's and the shared ones, filled in for the open case by
// the API. Inserted at the cursor, to edit before sending; # in the answer opens the choice.

/** A saved reply's text in the resident's language: English when they wrote in English and there is one. */
export function savedReplyText(reply, language) {
  return language === 'eng' && typeof reply?.text?.en === 'string' ? reply.text.en : reply?.text?.nl ?? '';
}

/** The language of the resident's newest message in the case (ISO 639-3), Dutch when unknown. */
function caseLanguage() {
  const messages = state.caseData?.messages || [];
  const last = [...messages].reverse().find((m) => m.direction === 'inbound');
  return last?.resident?.language || 'nld';
}

async function loadSavedReplies(id) {
  state.savedReplies = [];
  renderSavedReplies();
  let data;
  try {
    data = await api(`/cases/${enc(id)}/saved-replies`);
  } catch {
    return; // the answer can be written without them
  }
  if (state.caseId !== id) return;
  state.savedReplies = Array.isArray(data?.replies) ? data.replies : [];
  renderSavedReplies();
}

function renderSavedReplies() {
  const options = [new Option('Kies een standaardantwoord', '')];
  for (const r of state.savedReplies) options.push(new Option(r.shared ? r.title : `${r.title} (dit postvak)`, r.id));
  $('saved-reply').replaceChildren(...options);
  $('saved-replies').hidden = state.savedReplies.length === 0;
}

function insertSavedReply() {
  const r = state.savedReplies.find((x) => x.id === $('saved-reply').value);
  if (!r) {
    setStatus('Kies eerst een standaardantwoord.');
    $('saved-reply').focus();
    return;
  }
  const field = $('reply-text');
  const at = field.selectionStart ?? field.value.length;
  field.setRangeText(savedReplyText(r, caseLanguage()), at, field.selectionEnd ?? at, 'end');
  field.focus();
  updateCount();
  scheduleHints();
  setStatus(`Standaardantwoord “${r.title}” staat in uw antwoord. Pas het aan voordat u het verstuurt.`);
}

/** # at the start of the answer or after a space opens the choice of saved replies. */
function onReplyKey(e) {
  if (e.key !== '#' || state.savedReplies.length === 0 || e.ctrlKey || e.metaKey || e.altKey) return;
  const field = e.currentTarget;
  const before = field.value.slice(0, field.selectionStart ?? 0);
  if (before !== '' && !/\s$/u.test(before)) return;
  e.preventDefault();
  $('saved-reply').focus();
  setStatus('Kies een standaardantwoord en kies dan Invoegen.');
}

const isMine = (c) => c.state === 'claimed' && c.assignee && c.assignee === state.me?.name;
// A proposal by the inbox's assignment: a suggestion for one person, not a claim.
const proposalText = (c) => (c.proposed_to === state.me?.name ? 'voorgesteld aan u' : `voorgesteld aan ${c.proposed_to}`);

function renderCase() {
  const c = state.caseData;
  $('case').hidden = false;
  $('case-title').textContent = `Zaak ${c.reference}: ${subjectText(c)}`;

  // Facts about the case.
  const facts = [
    ['Status', c.state === 'claimed' && c.assignee
      ? `${word(STATE_WORDS, c.state)} door ${isMine(c) ? 'u' : c.assignee}${c.claim_expires_at ? ` tot ${formatTime(c.claim_expires_at)}` : ''}`
      : `${word(STATE_WORDS, c.state)}${c.state === 'open' && c.proposed_to ? `, ${proposalText(c)}` : ''}`],
    ['Postvak', inboxName(c.inbox)],
    ['Kanaal', word(CHANNEL_WORDS, c.channel)],
    ['Prioriteit', word(PRIORITY_WORDS, c.priority)],
    ['Inwoner', c.withheld ? 'Vertrouwelijk' : c.resident_name || 'Naam onbekend'],
    ['Aangemaakt', formatTime(c.created_at)],
  ];
  if (c.confidential) facts.push(['Vertrouwelijk', confidentialText(c)]);
  $('case-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
  renderPromise(c);
  renderNeeds(c);

  // Claim or release, close or reopen: one button each, so focus stays put.
  const claim = $('claim');
  const note = $('claim-note');
  claim.hidden = c.state === 'closed';
  claim.disabled = false;
  note.hidden = true;
  if (isMine(c)) {
    claim.textContent = 'Vrijgeven';
    claim.dataset.action = 'release';
  } else {
    claim.textContent = 'Oppakken';
    claim.dataset.action = 'claim';
    if (c.state === 'claimed') {
      claim.disabled = true;
      note.textContent = `${c.assignee || 'Een collega'} heeft deze zaak opgepakt. U kunt pas antwoorden als de zaak is vrijgegeven.`;
      note.hidden = false;
    }
  }
  const close = $('close');
  close.textContent = c.state === 'closed' ? 'Zaak heropenen' : 'Zaak sluiten';
  close.dataset.action = c.state === 'closed' ? 'reopen' : 'close';

  // Transfer targets: every inbox offered except the current one.
  const targets = (c.inboxes || []).filter((i) => i.id !== c.inbox);
  const select = $('transfer-inbox');
  const keep = select.value;
  select.replaceChildren(...targets.map((i) => {
    const o = el('option', null, i.name);
    o.value = i.id;
    return o;
  }));
  if (targets.some((i) => i.id === keep)) select.value = keep;
  $('transfer-form').hidden = targets.length === 0 || c.state === 'closed';

  renderConversation(c);
  renderReplyOptions(c);
  $('reply-form').hidden = c.state === 'closed';
  $('reply-title').hidden = c.state === 'closed';
  updateCount();
}

// The promise line: "Te laat" is said in words and has a shape (the "!"
// mark), so it never rests on colour alone.
function fillPromise(node, className, p) {
  node.className = `${className} balie-promise--${p.kind}`;
  node.replaceChildren();
  if (p.kind === 'overdue') {
    const icon = el('span', 'balie-promise__icon', '!');
    icon.setAttribute('aria-hidden', 'true');
    node.append(icon);
  }
  if (p.lead) node.append(el('strong', 'balie-promise__lead', p.lead), document.createTextNode(' '));
  node.append(document.createTextNode(p.rest));
  return node;
}

// Balie's own messages to the resident, by routing rule, as staff see them labelled.
const ACK_LABELS = {
  acknowledgement: 'Automatisch bericht van Balie: ontvangstbevestiging',
  'switched-off-notice': 'Automatisch bericht van Balie: melding dat het kanaal uit stond',
};

/** Balie's own receipt to the resident (or its notice that the channel was off). */
export function isAcknowledgement(m) {
  return m?.direction === 'outbound' && m.auto_generated === true && Object.hasOwn(ACK_LABELS, m.routing?.rule ?? '');
}

// The promise, and next to it what the resident was told: the latest
// acknowledgement, folded so the case's actions stay near the top.
function renderPromise(c) {
  const p = promiseText(c);
  const line = $('case-promise');
  line.hidden = !p;
  if (p) fillPromise(line, 'balie-promise', p);
  else line.replaceChildren();

  const acks = (c.messages || []).filter(isAcknowledgement);
  const ack = acks.reduce((a, b) => ((Date.parse(b.occurred_at) || 0) >= (Date.parse(a?.occurred_at) || 0) ? b : a), null);
  const box = $('case-ack');
  box.hidden = !ack;
  if (!ack) {
    box.open = false;
    return;
  }
  $('ack-meta').textContent = `${ACK_LABELS[ack.routing.rule]}. Verstuurd op ${formatTime(ack.occurred_at)}, per ${word(CHANNEL_WORDS, ack.channel).toLowerCase()}.`;
  const subject = $('ack-subject');
  subject.hidden = !ack.subject;
  subject.textContent = ack.subject ? `Onderwerp: ${ack.subject}` : '';
  const text = $('ack-text');
  const lang = htmlLang(ack.resident?.language);
  if (lang) text.setAttribute('lang', lang);
  else text.removeAttribute('lang');
  text.setAttribute('dir', 'auto');
  text.textContent = ack.text || '';
}

// What the resident needs, each with what to do: words, not colour.
function renderNeeds(c) {
  const needs = needItems(c.needs);
  $('case-needs').hidden = needs.length === 0;
  $('needs-list').replaceChildren(...needs.map((n) => {
    const li = el('li', 'balie-needs__item');
    li.append(el('strong', 'balie-needs__words', `${n.words}.`), document.createTextNode(' '), el('span', 'balie-needs__hint', n.hint));
    return li;
  }));
}

function renderConversation(c) {
  const entries = [
    ...(c.messages || []).map((m) => ({ at: m.occurred_at || m.received_at, message: m })),
    ...(c.notes || []).map((n) => ({ at: n.created_at, note: n })),
  ];
  entries.sort((a, b) => (Date.parse(a.at) || 0) - (Date.parse(b.at) || 0));
  // A live update redraws the conversation: keep focus on the same control
  // and opened transcripts open, so keyboard and screen reader users keep their place.
  const list = $('conversation');
  const focusKey = document.activeElement?.closest?.('#conversation [data-focus-key]')?.dataset.focusKey;
  const opened = new Set(Array.from(list.querySelectorAll('details[open][data-focus-key]'), (d) => d.dataset.focusKey));
  const changes = laterChanges(c.messages || []);
  list.replaceChildren(...entries.map((e) => (e.message ? messageItem(e.message, c, changes.get(e.message.id)) : noteItem(e.note))));
  for (const d of list.querySelectorAll('details[data-focus-key]')) if (opened.has(d.dataset.focusKey)) d.open = true;
  if (focusKey) list.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function timeNode(iso) {
  const t = el('time', null, formatTime(iso));
  t.setAttribute('datetime', iso || '');
  return t;
}

/** How routing placed an incoming message, in words for staff; null when there is nothing to say. */
export function routingText(routing) {
  const rule = typeof routing?.rule === 'string' ? routing.rule : '';
  if (!rule) return null;
  let text;
  if (rule === 'default') text = 'Geen regel paste: het standaardpostvak';
  else if (rule.startsWith('channel:') || rule === 'channel-address') text = 'Het postvak van dit kanaal';
  else text = `Verdeeld door de regel “${rule}”`;
  if (typeof routing.topic === 'string' && routing.topic) text += `, thema ${routing.topic}`;
  return `${text}.`;
}

/**
 * Who a message is from or to: "Van: Anna de Vries, anna@…". A chat resident
 * is named by the name they gave (on the message or the case), never by the
 * conversation id.
 */
export function partyText(m, caseResidentName) {
  const addresses = Array.isArray(m.resident?.addresses) ? m.resident.addresses : [];
  const chat = addresses.some((a) => a?.kind === 'webchat') || m.channel === 'webchat';
  const address = addresses.find((a) => a?.kind !== 'webchat')?.value;
  let who = [m.resident?.name, address].filter(Boolean).join(', ');
  if (!who) who = chat ? (caseResidentName || 'de inwoner in de chat') : 'onbekende inwoner';
  return `${m.direction === 'inbound' ? 'Van' : 'Aan'}: ${who}`;
}

/** The label above a machine-written message, and what it means for staff. */
export function autoNoticeText(m) {
  if (m.direction === 'inbound') {
    return {
      label: 'Automatisch bericht',
      text: m.channel === 'email'
        ? 'Automatisch antwoord van een mailserver; hier hoeft u niet op te reageren. Dit zijn niet de woorden van de inwoner.'
        : 'Een computer heeft dit verstuurd; hier hoeft u niet op te reageren. Dit zijn niet de woorden van de inwoner.',
    };
  }
  return {
    label: isAcknowledgement(m) ? ACK_LABELS[m.routing.rule] : 'Automatisch bericht',
    text: 'Balie heeft dit zelf verstuurd, niet een medewerker.',
  };
}

/**
 * Messages a resident changed afterwards on a messenger (an edit, a redaction): the original's id
 * and what was done, so the original is marked while it stays as it was received.
 */
export function laterChanges(messages) {
  const out = new Map();
  for (const m of messages) {
    const codes = Array.isArray(m?.parse_warnings) ? m.parse_warnings : [];
    const kind = codes.includes('messenger-redaction') ? 'redacted' : codes.includes('messenger-edit') ? 'edited' : null;
    if (kind && typeof m.in_reply_to === 'string' && (kind === 'redacted' || !out.has(m.in_reply_to))) out.set(m.in_reply_to, kind);
  }
  return out;
}

function messageItem(m, c, changed) {
  const inbound = m.direction === 'inbound';
  const li = el('li', `balie-message balie-message--${inbound ? 'inbound' : 'outbound'}`);
  const meta = el('p', 'balie-message__meta');
  meta.append(el('strong', null, word(DIRECTION_WORDS, m.direction)), document.createTextNode(
    ` · ${word(CHANNEL_WORDS, m.channel)} · `), timeNode(m.occurred_at));
  li.append(meta);
  if (m.auto_generated === true) li.append(autoNotice(m));
  if (m.received_while_off === true) {
    li.append(el('p', 'balie-auto', `Ontvangen terwijl ${word(CHANNEL_WORDS, m.channel).toLowerCase()} uit stond. De inwoner kreeg daarover automatisch bericht.`));
  }
  li.append(el('p', 'balie-message__party', partyText(m, c?.resident_name)));
  if (m.subject) li.append(el('p', 'balie-message__subject', `Onderwerp: ${m.subject}`));
  if (changed) {
    li.append(el('p', 'balie-auto balie-message__changed', changed === 'redacted'
      ? 'Later ingetrokken door de inwoner. U ziet hier wat er eerst stond.'
      : 'Later aangepast door de inwoner. De nieuwe tekst staat verderop.'));
  }
  const routed = inbound ? routingText(m.routing) : null;
  if (routed) li.append(el('p', 'balie-message__routing', routed));
  const warnings = Array.isArray(m.parse_warnings) ? m.parse_warnings.map(String) : [];
  if (warnings.length) li.append(parseNotice(m.id, warnings));
  // Only the plain text: an email's HTML is never shown.
  const lang = inbound ? htmlLang(m.resident?.language) : null;
  li.append(residentText(el('p', 'balie-message__text', m.text || ''), lang));
  const segments = m.transcript?.segments || [];
  if (segments.length) {
    // The whole call, folded: the text above is what the resident said.
    const details = el('details', 'balie-transcript');
    const summary = el('summary', null, `Hele gesprek lezen (${segments.length} ${segments.length === 1 ? 'deel' : 'delen'})`);
    details.dataset.focusKey = `transcript:${m.id}`;
    summary.dataset.focusKey = `transcript-summary:${m.id}`;
    details.append(summary);
    const ol = el('ol', 'balie-transcript__segments');
    for (const seg of segments) {
      const item = el('li');
      item.append(el('strong', null, `${word(SPEAKER_WORDS, seg.speaker)}:`), document.createTextNode(' '),
        residentText(el('span', null, seg.text || ''), seg.speaker === 'resident' ? lang : null));
      ol.append(item);
    }
    details.append(ol);
    li.append(details);
  }
  if (m.attachments?.length) {
    li.append(el('p', 'balie-message__label', m.attachments.length === 1 ? 'Bijlage:' : 'Bijlagen:'));
    const ul = el('ul', 'balie-attachments');
    m.attachments.forEach((a, i) => ul.append(attachmentItem(m, a, i)));
    li.append(ul);
  }
  if (!inbound) {
    const d = m.delivery;
    const status = el('p', `balie-delivery balie-delivery--${d?.status || 'unknown'}`);
    status.append(el('span', 'balie-delivery__label', 'Bezorging: '), el('span', 'balie-delivery__status', deliveryText(d)));
    li.append(status);
  }
  return li;
}

// A message a machine wrote: an out-of-office reply, a bounce or a mailing
// list (inbound), or Balie's own receipt (outbound). Said in words, so it is
// never read as what the resident or a colleague wrote.
function autoNotice(m) {
  const { label, text } = autoNoticeText(m);
  const p = el('p', 'balie-auto');
  p.append(el('strong', 'balie-auto__label', label), document.createTextNode(` ${text}`));
  return p;
}

// Warnings that say nothing about what staff read (a mail without a
// Message-ID reads fine); they stay in the technical details only.
const QUIET_WARNINGS = new Set(['missing-message-id', 'text-truncated']);
// What a messenger tells about a message; said in its own words, never as a mail that reads badly.
const MESSENGER_WARNINGS = {
  'messenger-edit': 'De inwoner heeft een eerder bericht aangepast. Dit is de nieuwe tekst. Het eerdere bericht staat er ook nog.',
  'messenger-redaction': 'De inwoner heeft een eerder bericht ingetrokken. Het eerdere bericht staat er nog, zodat u weet wat er stond.',
  'file-not-fetched': 'De inwoner stuurde ook een bestand. Balie kon het niet ophalen. Vraag de inwoner het opnieuw te sturen.',
  'file-too-large': 'De inwoner stuurde ook een bestand, maar dat is te groot. Vraag de inwoner het bestand te mailen.',
};

/** The plain-Dutch sentences for a message's parse warnings (codes stay out of them). */
export function parseWarningTexts(codes) {
  const texts = [];
  for (const c of codes) if (Object.hasOwn(MESSENGER_WARNINGS, c)) texts.push(MESSENGER_WARNINGS[c]);
  if (codes.some((c) => !QUIET_WARNINGS.has(c) && !Object.hasOwn(MESSENGER_WARNINGS, c))) {
    texts.push('Deze e-mail was niet helemaal goed te lezen. Open de originele e-mail als iets vreemd lijkt.');
  }
  if (codes.includes('text-truncated')) texts.push('De tekst is ingekort. De hele e-mail staat in de bijlage.');
  return texts;
}

function parseNotice(messageId, codes) {
  const box = el('div', 'utrecht-alert utrecht-alert--warning balie-parse-notice');
  const message = el('div', 'utrecht-alert__message');
  for (const text of parseWarningTexts(codes)) message.append(el('p', 'balie-parse-notice__text', text));
  // The codes, folded away, for a report to the administrator.
  const details = el('details', 'balie-parse-notice__details');
  const summary = el('summary', null, 'Technische details voor de beheerder');
  details.dataset.focusKey = `warnings:${messageId}`;
  summary.dataset.focusKey = `warnings-summary:${messageId}`;
  details.append(summary);
  const ul = el('ul');
  for (const code of codes) ul.append(el('li', null, code));
  details.append(ul);
  message.append(details);
  box.append(message);
  return box;
}

// ---------------------------------------------------------------------------
// Attachments: downloaded with the token as bytes, saved under their name,
// never opened in the page. The declared content type is never used.

// The object URL lives until the browser has taken the download over.
const REVOKE_DELAY_MS = 10000;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// Bidirectional controls let "factuur<RLO>fdp.exe" look like "factuurexe.pdf".
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/gu;

/** A file name as staff see it: no bidirectional tricks, no control characters. */
export function visibleFilename(name) {
  return String(name ?? '').replace(BIDI_CONTROLS, '').replace(CONTROL_CHARS, ' ').trim();
}

/** The name a download is saved under: no folders, no characters file systems refuse. */
export function downloadFilename(name) {
  return visibleFilename(name).replace(/[/\\:*?"<>|]/g, '_').replace(/^\.+/, '') || 'bijlage';
}

/** The button text for a file: "Download foto.jpg (48 kB)"; the original mail says what it is. */
export function attachmentLabel(a, { original = false } = {}) {
  const size = sizeText(a.size);
  if (original) return `Download originele e-mail (${visibleFilename(a.filename) || 'bericht.eml'}, ${size})`;
  return `Download ${visibleFilename(a.filename) || 'bijlage zonder naam'} (${size})`;
}

// balied stores every email as it arrived and names it last, as bericht.eml.
const isOriginalMail = (m, a, i) => m.channel === 'email' && i === m.attachments.length - 1 && a.filename === 'bericht.eml';

function attachmentItem(m, a, i) {
  const item = el('li', 'balie-attachments__item');
  const original = isOriginalMail(m, a, i);
  const label = attachmentLabel(a, { original });
  const sha256 = String(a.sha256 || '');
  if (!SHA256_HEX.test(sha256)) {
    item.textContent = `${label.replace(/^Download /, '')}: kan niet worden gedownload`;
    return item;
  }
  const button = el('button', 'utrecht-button utrecht-button--secondary-action balie-attachment-button', label);
  button.type = 'button';
  button.dataset.focusKey = `attachment:${m.id}:${i}`;
  const caseId = state.caseId;
  // How the status line names the file, at the start of a sentence.
  const what = original ? 'De originele e-mail' : `Het bestand ${visibleFilename(a.filename) || 'zonder naam'}`;
  button.addEventListener('click', () => downloadAttachment(caseId, sha256, downloadFilename(a.filename), what));
  item.append(button);
  return item;
}

const downloading = new Set();

async function downloadAttachment(caseId, sha256, filename, what) {
  const key = `${caseId}/${sha256}`;
  if (downloading.has(key)) return; // a second click while the first is busy does nothing
  downloading.add(key);
  setStatus('Bezig met downloaden…');
  try {
    const res = await apiFetch(`/cases/${enc(caseId)}/attachments/${sha256}`,
      { accept: 'application/octet-stream, application/problem+json' });
    // Always plain bytes, whatever the file claims to be: nothing renders it.
    const blob = new Blob([await res.arrayBuffer()], { type: 'application/octet-stream' });
    saveBlob(blob, filename);
    setStatus(`${what} is gedownload.`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) setStatus(downloadErrorText(err, what));
  } finally {
    downloading.delete(key);
  }
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_DELAY_MS);
}

function downloadErrorText(err, what) {
  const status = err instanceof ApiError ? err.status : 0;
  if (status === 404) return `${what} kon niet worden gedownload. Balie bewaart het niet meer.`;
  if (status === 403) return PROBLEM_WORDS.forbidden;
  return `${what} kon niet worden gedownload. Probeer het later opnieuw.`;
}

const SPEAKER_WORDS = { resident: 'Inwoner', staff: 'Medewerker', ivr: 'Keuzemenu', interpreter: 'Tolk', unknown: 'Spreker onbekend' };
// ISO 639-3 (the case-message) to the BCP 47 tag screen readers use.
const LANGUAGE_TAGS = { nld: 'nl', eng: 'en', deu: 'de', fra: 'fr', spa: 'es', por: 'pt', ita: 'it', pol: 'pl', tur: 'tr',
  ara: 'ar', ukr: 'uk', rus: 'ru', ron: 'ro', bul: 'bg', som: 'so', tir: 'ti', pap: 'pap', fry: 'fy' };

function htmlLang(iso639_3) {
  if (!iso639_3 || iso639_3 === 'nld') return null;
  return LANGUAGE_TAGS[iso639_3] || null;
}

// Resident text: its own language when not Dutch, and its own direction (Arabic, Hebrew).
function residentText(node, lang) {
  if (lang) node.setAttribute('lang', lang);
  node.setAttribute('dir', 'auto');
  return node;
}

function noteItem(n) {
  const li = el('li', 'balie-note');
  const meta = el('p', 'balie-message__meta');
  meta.append(el('strong', 'balie-note__label', 'Interne notitie'),
    document.createTextNode(` · ${n.author || 'medewerker'} · `), timeNode(n.created_at));
  li.append(meta, el('p', 'balie-message__text', n.text || ''));
  return li;
}

function sizeText(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return n === 1 ? '1 byte' : `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} kB`;
  return `${(n / (1024 * 1024)).toFixed(1).replace('.', ',')} MB`;
}

// ---------------------------------------------------------------------------
// Composer.

/**
 * A reply option in words: "E-mail: anna@…", or for a web chat "Chat met Anna"
 * (the name the resident gave; the conversation id is no name).
 */
export function replyOptionText(r, residentName) {
  // A channel an admin switched off still takes the reply, but it waits until the channel is on again.
  const off = r.enabled === false ? ' (staat uit, uw antwoord wacht)' : '';
  if (r.channel === 'webchat') return `Chat met ${residentName || 'de inwoner'}${off}`;
  return `${word(CHANNEL_WORDS, r.channel)}: ${r.address}${off}`;
}

function renderReplyOptions(c) {
  const select = $('reply-target');
  const previous = select.selectedOptions[0];
  const prevKey = previous ? `${previous.dataset.channel}\n${previous.dataset.address}` : null;
  const options = (c.reply_options || []).map((r, i) => {
    const o = el('option', null, replyOptionText(r, c.resident_name));
    o.value = String(i);
    o.dataset.channel = r.channel;
    o.dataset.address = r.address;
    if (typeof r.template === 'string' && r.template) o.dataset.template = r.template;
    if (r.default) o.selected = true;
    return o;
  });
  if (options.length === 0) {
    const o = el('option', null, 'Zelfde kanaal als de inwoner');
    o.value = '';
    options.push(o);
  }
  select.replaceChildren(...options);
  if (prevKey) {
    const same = options.find((o) => `${o.dataset.channel}\n${o.dataset.address}` === prevKey);
    if (same) same.selected = true;
  }
}

function replyChannel() {
  return $('reply-target').selectedOptions[0]?.dataset.channel || state.caseData?.channel || '';
}

// What the reply costs as SMS comes from the API (POST /sms/size), which
// applies the same rules as the check when the reply is sent: one source of
// truth for GSM-7/UCS-2, parts, the part limit and web addresses. Asked
// shortly after typing stops; an older answer never replaces a newer one.
const SMS_SIZE_DELAY_MS = 150;
let smsSizeTimer = null;
let smsSizeAsked = 0;
let smsSuffix = '';

/** The SMS part of the counter line, in words, from the API's answer. */
export function smsSizeText(size) {
  let line = size.segments === 1 ? ', 1 sms-bericht' : `, ${size.segments} sms-berichten`;
  if (size.encoding === 'ucs-2') line += ' (door speciale tekens passen er maar 70 tekens in één sms)';
  if (size.too_long) line += `. Te lang: een sms-antwoord is hoogstens ${size.max_segments} sms-berichten`;
  if (size.has_web_address && !size.web_addresses_allowed) line += '. Een sms van de gemeente mag geen webadres bevatten';
  return line;
}

function updateCount() {
  const text = $('reply-text').value;
  const chars = Array.from(text).length;
  const count = chars === 1 ? '1 teken' : `${chars} tekens`;
  clearTimeout(smsSizeTimer);
  if (replyChannel() !== 'sms') {
    smsSuffix = '';
    $('reply-count').textContent = count;
    return;
  }
  $('reply-count').textContent = count + smsSuffix; // the last known size until the new one arrives
  const asked = ++smsSizeAsked;
  smsSizeTimer = setTimeout(async () => {
    try {
      const size = await api('/sms/size', { method: 'POST', body: { text } });
      if (asked !== smsSizeAsked || !size) return;
      smsSuffix = smsSizeText(size);
      $('reply-count').textContent = count + smsSuffix;
    } catch {
      // The counter is help, not a check: the reply itself is checked when it is sent.
    }
  }, SMS_SIZE_DELAY_MS);
}

let hintTimer = null;
let lastHintKey = '';

function scheduleHints() {
  clearTimeout(hintTimer);
  hintTimer = setTimeout(renderHints, HINT_DELAY_MS);
}

function renderHints() {
  const hints = plainLanguageHints($('reply-text').value, state.jargon);
  const key = JSON.stringify(hints);
  if (key === lastHintKey) return; // unchanged: say nothing again
  lastHintKey = key;
  $('reply-hints-title').hidden = hints.length === 0;
  $('reply-hints-list').replaceChildren(...hints.map((h) => el('li', null, h.kind === 'sentence'
    ? `Een zin heeft ${h.words} woorden (begint met “${h.start}”). Maak zinnen van hoogstens ${MAX_SENTENCE_WORDS} woorden.`
    : h.kind === 'passive'
      ? `Een zin is lijdend (“${h.word}”, begint met “${h.start}”). Schrijf wie wat doet, bijvoorbeeld: “Wij behandelen uw aanvraag.”`
      : `Schrijf liever “${h.suggestion}” in plaats van “${h.word}”.`)));
}

function clearComposer() {
  $('reply-text').value = '';
  $('note-text').value = '';
  for (const [f, e] of [['reply-text', 'reply-text-error'], ['reply-target', 'reply-target-error'], ['note-text', 'note-text-error']]) {
    clearFieldError($(f), $(e));
  }
  lastHintKey = '';
  renderHints();
  updateCount();
}

async function sendReply() {
  const field = $('reply-text');
  const target = $('reply-target');
  clearFieldError(field, $('reply-text-error'));
  clearFieldError(target, $('reply-target-error'));
  $('reply-template').hidden = true;
  const text = field.value;
  if (!text.trim()) {
    showFieldError(field, $('reply-text-error'), 'Schrijf eerst een antwoord.');
    field.focus();
    return;
  }
  const body = { text };
  const option = target.selectedOptions[0];
  if (option?.dataset.channel) {
    body.channel = option.dataset.channel;
    body.address = option.dataset.address;
  }
  const id = state.caseId;
  try {
    await api(`/cases/${enc(id)}/replies`, { method: 'POST', body });
  } catch (err) {
    const params = err.problem?.['invalid-params'] || [];
    const named = (n) => params.find((p) => p.name === n);
    if (err.status === 400 && named('text')) {
      showFieldError(field, $('reply-text-error'), named('text').reason || 'Dit antwoord kan niet worden verstuurd.');
      // WhatsApp after 24 hours: offer the approved message that asks the resident to write back.
      if (option?.dataset.template && /24-hour window/.test(named('text').reason || '')) {
        $('reply-template').hidden = false;
        $('reply-template-send').focus();
        return;
      }
      field.focus();
    } else if (err.status === 400 && (named('channel') || named('address'))) {
      const p = named('channel') || named('address');
      showFieldError(target, $('reply-target-error'), p.reason || 'Kies een ander kanaal of adres.');
      target.focus();
    } else {
      setStatus(problemText(err));
      field.focus();
    }
    return;
  }
  field.value = '';
  lastHintKey = '';
  renderHints();
  updateCount();
  field.focus();
  setStatus('Uw antwoord staat in de wachtrij om te worden verstuurd.');
  if (state.caseId === id) await loadCase();
  scheduleRefresh({ cases: true, inboxes: true });
}

/** Sends WhatsApp's approved template to the chosen address; the written answer stays for later. */
async function sendTemplate() {
  const option = $('reply-target').selectedOptions[0];
  const id = state.caseId;
  if (!option?.dataset.template) return;
  try {
    await api(`/cases/${enc(id)}/replies`, { method: 'POST',
      body: { template: option.dataset.template, channel: option.dataset.channel, address: option.dataset.address } });
  } catch (err) {
    setStatus(problemText(err));
    return;
  }
  $('reply-template').hidden = true;
  clearFieldError($('reply-text'), $('reply-text-error'));
  $('reply-text').focus();
  setStatus('Het goedgekeurde WhatsApp-bericht staat in de wachtrij. Reageert de inwoner, dan kunt u uw antwoord versturen.');
  if (state.caseId === id) await loadCase();
  scheduleRefresh({ cases: true, inboxes: true });
}

async function addNote() {
  const field = $('note-text');
  clearFieldError(field, $('note-text-error'));
  if (!field.value.trim()) {
    showFieldError(field, $('note-text-error'), 'Schrijf eerst een notitie.');
    field.focus();
    return;
  }
  try {
    await api(`/cases/${enc(state.caseId)}/notes`, { method: 'POST', body: { text: field.value } });
  } catch (err) {
    const p = err.problem?.['invalid-params']?.find((x) => x.name === 'text');
    if (p) showFieldError(field, $('note-text-error'), p.reason || 'Deze notitie kan niet worden opgeslagen.');
    else setStatus(problemText(err));
    field.focus();
    return;
  }
  field.value = '';
  field.focus();
  setStatus('De interne notitie is opgeslagen.');
  await loadCase();
}

// ---------------------------------------------------------------------------
// Case actions.

const ACTION_DONE = {
  claim: 'U hebt de zaak opgepakt.',
  release: 'U hebt de zaak vrijgegeven.',
  close: 'De zaak is gesloten.',
  reopen: 'De zaak is weer open.',
};

async function caseAction(action) {
  try {
    await api(`/cases/${enc(state.caseId)}/${action}`, { method: 'POST' });
  } catch (err) {
    setStatus(problemText(err));
    await loadCase();
    return;
  }
  // The page shows the new state before it is announced, so what a screen
  // reader hears matches the buttons it then finds.
  await loadCase();
  setStatus(ACTION_DONE[action]);
  scheduleRefresh({ cases: true, inboxes: true });
}

async function transferCase() {
  const target = $('transfer-inbox').value;
  if (!target) return;
  const name = $('transfer-inbox').selectedOptions[0]?.textContent || target;
  try {
    await api(`/cases/${enc(state.caseId)}/transfer`, { method: 'POST', body: { inbox: target } });
  } catch (err) {
    setStatus(problemText(err));
    return;
  }
  closeCase();
  setStatus(`De zaak is overgedragen aan ${name}.`);
  await Promise.all([loadInboxes(), loadCases({ append: false })]);
  $('cases-title').focus();
}

// ---------------------------------------------------------------------------
// Live updates: one event stream per inbox (server-sent events over fetch).

function startStreams() {
  for (const id of (state.me?.inboxes || state.inboxes.map((i) => i.id)).slice(0, MAX_STREAMS)) {
    if (state.streams.has(id)) continue;
    const controller = new AbortController();
    state.streams.set(id, controller);
    runStream(id, controller.signal);
  }
}

function stopStreams() {
  for (const c of state.streams.values()) c.abort();
  state.streams.clear();
  state.lastEventId.clear();
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

async function runStream(inbox, signal) {
  let delay = RECONNECT_MIN_MS;
  let connectedBefore = false;
  while (!signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream' };
      const last = state.lastEventId.get(inbox);
      if (last) headers['Last-Event-ID'] = last;
      const res = await fetch(`${API}/events?inbox=${enc(inbox)}`, { headers, signal, cache: 'no-store' });
      if (res.status === 401) { signOut('Uw toegangscode werkt niet meer. Log opnieuw in.'); return; }
      if (res.ok && res.body) {
        delay = RECONNECT_MIN_MS;
        // After a gap, something may have been missed: refresh what is shown.
        if (connectedBefore) scheduleRefresh({ inboxes: true, cases: true, case: true });
        connectedBefore = true;
        await readEventStream(res.body, (ev) => onServerEvent(inbox, ev));
      }
    } catch {
      // Network error or abort: fall through to the backoff.
    }
    if (signal.aborted) return;
    await sleep(delay * (1 + Math.random() * 0.3), signal);
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  }
  function onServerEvent(id, ev) {
    if (ev.id !== undefined) state.lastEventId.set(id, ev.id);
    handleEvent(id, ev);
  }
}

/** Reads a text/event-stream body and calls onEvent({id, event, data}) per event. */
export async function readEventStream(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  let event = '';
  let id;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A CR at the end of a chunk may be the first half of CRLF: wait.
      if (nl === buffer.length - 1 && buffer[nl] === '\r') break;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) onEvent({ id, event: event || 'message', data: data.join('\n') });
        data = [];
        event = '';
        id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue; // comment, e.g. ": ping"
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'data') data.push(val);
      else if (field === 'event') event = val;
      else if (field === 'id' && !val.includes('\0')) id = val;
    }
  }
}

function handleEvent(inbox, ev) {
  let data;
  try { data = JSON.parse(ev.data); } catch { return; }
  const type = data.type || ev.event;
  const dirty = { inboxes: true };
  if (inbox === state.inboxId || data.inbox === state.inboxId) dirty.cases = true;
  if (data.case_id && data.case_id === state.caseId) dirty.case = true;
  scheduleRefresh(dirty);
  if (type === 'case.created') queueAnnouncement(data.inbox || inbox);
}

function scheduleRefresh(dirty) {
  for (const k of Object.keys(dirty)) if (dirty[k]) state.dirty[k] = true;
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(async () => {
    state.refreshTimer = null;
    const d = state.dirty;
    state.dirty = { inboxes: false, cases: false, case: false };
    if (!state.me) return;
    const work = [];
    if (d.inboxes) work.push(loadInboxes().catch(() => {}));
    if (d.cases) work.push(loadCases({ append: false, keepCount: true }));
    if (d.case && state.caseId) work.push(loadCase());
    await Promise.all(work);
  }, REFRESH_DELAY_MS);
}

function queueAnnouncement(inbox) {
  state.pendingNew.set(inbox, (state.pendingNew.get(inbox) || 0) + 1);
  if (state.announceTimer) return;
  const wait = Math.max(0, state.lastAnnounce + ANNOUNCE_INTERVAL_MS - Date.now());
  state.announceTimer = setTimeout(() => {
    state.announceTimer = null;
    state.lastAnnounce = Date.now();
    const parts = [...state.pendingNew].map(([id, n]) => (n === 1
      ? `Nieuwe zaak in ${inboxName(id)}` : `${n} nieuwe zaken in ${inboxName(id)}`));
    state.pendingNew.clear();
    speak($('announcer'), `${parts.join('. ')}.`);
  }, wait);
}

// ---------------------------------------------------------------------------
// Keyboard shortcuts (WCAG 2.1.4: can be switched off; single keys only
// outside form fields).

function shortcutsOn() {
  return $('shortcuts-on').checked;
}

function onShortcut(e) {
  if (!shortcutsOn() || !state.me || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t instanceof Element && t.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"])')) return;
  if (e.key === 'j' || e.key === 'k') {
    if (state.cases.length === 0) return;
    e.preventDefault();
    const at = state.cases.findIndex((c) => c.id === state.caseId);
    const next = at < 0 ? 0 : Math.min(state.cases.length - 1, Math.max(0, at + (e.key === 'j' ? 1 : -1)));
    openCase(state.cases[next].id, { focus: 'list' });
  } else if (e.key === 'r') {
    if ($('case').hidden || $('reply-form').hidden) return;
    e.preventDefault();
    $('reply-text').focus();
  } else if (e.key === '/') {
    e.preventDefault();
    $('search-q').focus();
  }
}

// ---------------------------------------------------------------------------
// Start.

async function loadJargon() {
  try {
    const res = await fetch('/inbox/jargon-nl.json', { cache: 'no-cache' });
    if (res.ok) state.jargon = (await res.json()).words || {};
  } catch {
    state.jargon = {};
  }
}

function start() {
  const saved = localStorage.getItem(SHORTCUTS_KEY);
  $('shortcuts-on').checked = saved !== 'off';
  $('available').addEventListener('change', async (e) => {
    const wanted = e.target.checked;
    try {
      const now = await api('/me/availability', { method: 'POST', body: { available: wanted } });
      state.me.available = now.available;
      setStatus(now.available ? 'U bent beschikbaar. Nieuwe zaken kunnen aan u worden voorgesteld.'
        : 'U bent niet beschikbaar. Er worden geen nieuwe zaken aan u voorgesteld.');
    } catch (err) {
      e.target.checked = !wanted;
      setStatus(problemText(err));
    }
  });
  $('shortcuts-on').addEventListener('change', (e) => {
    localStorage.setItem(SHORTCUTS_KEY, e.target.checked ? 'on' : 'off');
    setStatus(e.target.checked ? 'Sneltoetsen staan aan.' : 'Sneltoetsen staan uit.');
  });
  document.addEventListener('keydown', onShortcut);

  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      showFieldError($('token'), $('token-error'), 'Vul uw toegangscode in.');
      $('token').focus();
      return;
    }
    signIn(token);
  });
  $('sign-out').addEventListener('click', () => signOut());

  $('filter-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    state.filters = { state: $('filter-state').value, channel: $('filter-channel').value, priority: $('filter-priority').value };
    await loadCases({ append: false });
    setStatus(state.cases.length === 1 ? '1 zaak gevonden.' : `${state.cases.length}${state.nextCursor ? ' of meer' : ''} zaken gevonden.`);
  });
  $('load-more').addEventListener('click', () => loadCases({ append: true }));
  $('search-form').addEventListener('submit', (e) => { e.preventDefault(); runSearch({ append: false }); });
  $('search-more').addEventListener('click', () => runSearch({ append: true }));
  $('search-close').addEventListener('click', () => {
    closeSearch();
    $('search-q').focus();
    setStatus('Zoekresultaten gesloten.');
  });

  $('claim').addEventListener('click', (e) => caseAction(e.currentTarget.dataset.action || 'claim'));
  $('close').addEventListener('click', (e) => caseAction(e.currentTarget.dataset.action || 'close'));
  $('transfer-form').addEventListener('submit', (e) => { e.preventDefault(); transferCase(); });
  $('reply-form').addEventListener('submit', (e) => { e.preventDefault(); sendReply(); });
  $('reply-template-send').addEventListener('click', () => sendTemplate());
  $('note-form').addEventListener('submit', (e) => { e.preventDefault(); addNote(); });
  $('reply-text').addEventListener('input', () => { updateCount(); scheduleHints(); });
  $('reply-text').addEventListener('keydown', onReplyKey);
  $('saved-reply-insert').addEventListener('click', insertSavedReply);
  $('reply-target').addEventListener('change', updateCount);

  const jargon = loadJargon();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) jargon.then(() => signIn(token, { fromStorage: true }));
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
