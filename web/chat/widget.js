// Balie chat widget for residents. A municipality embeds it with one module
// script and one stylesheet; the script builds everything else:
//
//   <link rel="stylesheet" href="/chat/widget.css">
//   <script type="module" src="/chat/widget.js"></script>
//
// What and why:
// - Plain DOM, no framework, no build step, no inline styles or scripts (the
//   pages run under a strict CSP). Every text comes from i18n/<lang>.json;
//   resident and staff text is only ever set with textContent.
// - Accessibility (CHANNELS.md §3.4): a real launcher button; a non-modal
//   region without a focus trap; the message list is role="log" from page
//   load and only new nodes are appended to it (history goes into a separate,
//   silent list so it is never re-announced); connection changes go to a
//   separate, rate-limited role="status"; a session time-out warning with a
//   one-action extension; non-digital routes are always shown, and the other
//   ways to write that are on now (a messenger only next to the others, a
//   Big Tech platform last and said so).
// - Delivery: a message stays "wordt verzonden…" until the server acks it
//   durably. Unacked messages live in sessionStorage with their client_id and
//   are re-sent after every reconnect, so nothing is lost; the server answers
//   a repeated client_id with the same seq, so nothing is duplicated.
// - Transport: WebSocket with resume (token and last_seq in sessionStorage),
//   exponential backoff with full jitter; after three failed connection
//   attempts without ever getting a welcome, server-sent events (read with
//   fetch, because EventSource cannot send the Authorization header) plus
//   POST, with the same seq semantics.
//   Rejected: a long-poll transport (SSE covers the proxies that strip
//   Upgrade), and BroadcastChannel leader election (one connection per tab is
//   fine at municipal scale).

const API = new URL('/api/v1/chat/', import.meta.url);
const STORE_KEY = 'balie-chat';
const ROOT_ID = 'balie-chat';

/** The server's limit on one message (protocol: text 1..4000 characters). */
const MAX_TEXT = 4000;
/** Show the remaining-characters hint only close to the limit, to stay quiet. */
const COUNT_HINT_FROM = 3500;
/** Backoff (CHANNELS.md §3.2): full jitter, base 1 s, cap 30 s. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 30000;
/** A connection that stayed up this long resets the backoff. */
const STABLE_MS = 60000;
/** Failed WebSocket attempts (never welcomed) before the SSE fallback. */
const WS_FAILURES_BEFORE_FALLBACK = 3;
/** The server closes a socket without hello after 10 s; give up a bit later. */
const WELCOME_TIMEOUT_MS = 12000;
/** Status announcements: at most one per this interval, the latest wins. */
const STATUS_MIN_INTERVAL_MS = 3000;
/** Time-out warning this long before expiry (WCAG 2.2.1 asks for >= 20 s). */
const WARN_BEFORE_MS = 120000;
/** "At the bottom" tolerance for auto-scrolling, in CSS px. */
const BOTTOM_SLACK_PX = 48;
/** Close codes after which reconnecting cannot help. */
const NO_RETRY_CODES = new Set([1007, 1008, 1009, 4403]);
/** Close codes that end the session: the next message starts a new one. */
const SESSION_END_CODES = new Set([4401, 4408]);
const NEEDS = [
  ['screen-reader', 'need_screen_reader'],
  ['plain-language', 'need_plain_language'],
  ['callback', 'need_callback'],
  ['sign-language', 'need_sign_language'],
];
/** Case-message language codes (ISO 639-3) to BCP 47 for the lang attribute. */
const LANG_3_TO_2 = { nld: 'nl', eng: 'en', tur: 'tr', ara: 'ar', ukr: 'uk', pol: 'pl', deu: 'de', fra: 'fr', spa: 'es', sgn: 'sgn' };

// ---------------------------------------------------------------------------
// Small helpers.

/** Creates an element; attrs are set as attributes (class, hidden, on*-free). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** A random RFC 4122 version 4 UUID; works outside secure contexts too. */
export function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Full-jitter backoff delay for the given attempt (0-based). */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Maps a language code from a frame (2 or 3 letters) to a lang attribute. */
export function langAttribute(code) {
  if (typeof code !== 'string' || !/^[a-z]{2,3}$/i.test(code)) return null;
  const c = code.toLowerCase();
  return LANG_3_TO_2[c] || c;
}

/** Client-side checks of the leave-a-message address (the server checks too). */
export function checkAddress(channel, value) {
  const v = value.trim();
  if (channel === 'email') return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);
  if (channel === 'sms') {
    const digits = v.replace(/[\s().-]/g, '');
    return /^(\+316|00316|06)\d{8}$/.test(digits);
  }
  return false;
}

/**
 * Incremental text/event-stream parser: feed() chunks of text, get back the
 * complete events ({id, event, data}) they finish.
 */
export class EventStreamParser {
  constructor() {
    this.buffer = '';
    this.reset();
  }

  reset() {
    this.id = null;
    this.event = '';
    this.data = [];
  }

  feed(chunk) {
    this.buffer += chunk;
    const events = [];
    let nl;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const sep = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      this.buffer = this.buffer.slice(nl + sep);
      if (line === '') {
        if (this.data.length) events.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.reset();
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
    }
    return events;
  }
}

const store = {
  load() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE_KEY) || '{}') || {};
    } catch {
      return {};
    }
  },
  save(state) {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch {
      // Storage full or switched off: the chat still works for this page view.
    }
  },
};

async function loadTexts(lang) {
  const res = await fetch(new URL(`./i18n/${lang}.json`, import.meta.url), { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`texts ${lang}: ${res.status}`);
  return res.json();
}

function fill(template, vars = {}) {
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

async function problemOf(res) {
  try {
    return await res.json();
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------
// The widget.

class ChatWidget {
  constructor(texts) {
    this.texts = texts;
    const saved = store.load();
    this.state = {
      lang: texts.lang,
      token: saved.token || null,
      conversationId: saved.conversationId || null,
      expiresAt: saved.expiresAt || null,
      lastSeq: saved.lastSeq || 0,
      transport: saved.transport || 'ws',
      outbox: Array.isArray(saved.outbox) ? saved.outbox : [],
      open: Boolean(saved.open),
      needs: Array.isArray(saved.needs) ? saved.needs : [],
      name: saved.name || '',
      ttlMs: Number.isFinite(saved.ttlMs) ? saved.ttlMs : null,
    };
    this.messages = new Map(); // key (seq or client_id) → {node, record}
    this.bySeq = new Map(); // seq → node
    this.pending = new Map(); // client_id → node
    this.chatOpen = true;
    this.ws = null;
    this.sse = null;
    this.attempt = 0;
    this.wsFailures = 0;
    this.everWelcomed = false;
    this.connectedAt = 0;
    this.retryTimer = null;
    this.warnTimer = null;
    this.expireTimer = null;
    this.statusTimer = null;
    this.statusShownAt = 0;
    this.statusQueued = null;
    this.lostConnection = false;
    this.retryAfterMs = 0;
    this.lastSentClientId = null;
  }

  t(key, vars) {
    const s = this.texts[key];
    return s === undefined ? key : fill(s, vars);
  }

  save() {
    const s = this.state;
    store.save({
      lang: s.lang, token: s.token, conversationId: s.conversationId, expiresAt: s.expiresAt, lastSeq: s.lastSeq,
      transport: s.transport, outbox: s.outbox, open: s.open, needs: s.needs, name: s.name, ttlMs: s.ttlMs,
    });
  }

  // -- DOM -----------------------------------------------------------------

  build() {
    const t = (k, v) => this.t(k, v);
    document.documentElement.classList.add('balie-chat-host');
    const old = document.getElementById(ROOT_ID);
    const root = h('div', { id: ROOT_ID, class: 'balie-chat voorbeeld-theme', lang: this.state.lang });

    this.launcher = h('button', {
      type: 'button', class: 'utrecht-button utrecht-button--primary-action balie-chat__launcher',
      'aria-expanded': 'false', 'aria-controls': 'balie-chat-panel',
    }, t('launcher'));

    // Header.
    this.langButton = h('button', {
      type: 'button', class: 'utrecht-button utrecht-button--subtle balie-chat__header-button', lang: t('switch_language_lang'),
    }, t('switch_language'));
    this.closeButton = h('button', { type: 'button', class: 'utrecht-button utrecht-button--secondary-action balie-chat__header-button' }, t('close'));
    const header = h('div', { class: 'balie-chat__header' },
      h('h2', { class: 'utrecht-heading-2 balie-chat__title', id: 'balie-chat-title' }, t('title')),
      h('div', { class: 'balie-chat__header-actions' }, this.langButton, this.closeButton));

    // Non-digital routes: always shown (WCAG 3.2.6, STANDARDS.md).
    const routes = h('section', { class: 'balie-chat__routes', 'aria-labelledby': 'balie-chat-routes-title' },
      h('h3', { class: 'utrecht-heading-3 balie-chat__routes-title', id: 'balie-chat-routes-title' }, t('routes_title')),
      h('ul', { class: 'balie-chat__route-list' },
        h('li', {}, `${t('route_phone_label')} `,
          h('a', { class: 'utrecht-link', href: t('route_phone_href') }, t('route_phone')), `. ${t('route_phone_hours')}`),
        h('li', {}, t('route_counter')),
        h('li', {}, t('route_teletolk')),
        h('li', {}, t('route_post'))),
      this.buildOtherWays(),
      h('p', { class: 'balie-chat__a11y' },
        h('a', { class: 'utrecht-link', href: t('accessibility_href') }, t('accessibility_link'))));

    this.notice = h('p', { class: 'balie-chat__notice', hidden: true });
    this.intro = h('div', { class: 'balie-chat__intro' },
      h('p', { class: 'utrecht-paragraph' }, t('intro')),
      h('p', { class: 'utrecht-paragraph' }, t('chat_hours')));

    // Needs and name: optional, never required.
    this.nameInput = h('input', {
      class: 'utrecht-textbox utrecht-textbox--html-input', type: 'text', id: 'balie-chat-name', name: 'name',
      autocomplete: 'name', maxlength: '200',
    });
    this.nameInput.value = this.state.name;
    const needBoxes = NEEDS.map(([value, key]) => {
      const box = h('input', {
        class: 'utrecht-checkbox utrecht-checkbox--html-input', type: 'checkbox', id: `balie-chat-need-${value}`,
        name: 'needs', value,
      });
      box.checked = this.state.needs.includes(value);
      return h('div', { class: 'utrecht-form-field utrecht-form-field--checkbox balie-chat__check' }, box,
        h('label', { class: 'utrecht-form-label utrecht-form-label--checkbox', for: box.id }, t(key)));
    });
    this.needsDetails = h('details', { class: 'balie-chat__needs' },
      h('summary', { class: 'balie-chat__summary' }, t('needs_summary')),
      h('fieldset', { class: 'utrecht-form-fieldset balie-chat__fieldset' },
        h('legend', { class: 'utrecht-form-fieldset__legend balie-chat__legend' }, t('needs_legend')),
        ...needBoxes),
      h('div', { class: 'utrecht-form-field' },
        h('label', { class: 'utrecht-form-label', for: 'balie-chat-name' }, t('name_label')), this.nameInput));
    this.needsChosen = h('p', { class: 'utrecht-paragraph balie-chat__small', hidden: true });

    // History (silent) and the live log (announced; only additions).
    this.history = h('ol', { class: 'balie-chat__messages', id: 'balie-chat-history', 'aria-label': t('history_label'), hidden: true });
    // role="log" on a wrapper: on the <ol> itself it would replace the list
    // role and leave the list items without a list.
    this.log = h('ol', { class: 'balie-chat__messages', id: 'balie-chat-log-list' });
    this.logRegion = h('div', {
      class: 'balie-chat__log', id: 'balie-chat-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
      'aria-label': t('messages_label'),
    }, this.log);
    this.newButton = h('button', { type: 'button', class: 'utrecht-button utrecht-button--secondary-action balie-chat__new', hidden: true }, t('new_message'));

    // The leave-a-message form, shown while the chat is closed.
    this.leave = this.buildLeaveForm();

    this.scroller = h('div', { class: 'balie-chat__body' },
      this.notice, this.intro, routes, this.needsDetails, this.needsChosen, this.leave.section, this.history, this.logRegion, this.newButton);

    // Footer: status, time-out warning, composer.
    this.status = h('p', { class: 'balie-chat__status', role: 'status', id: 'balie-chat-status' });
    this.timeoutText = h('p', { class: 'utrecht-paragraph' });
    this.extendButton = h('button', { type: 'button', class: 'utrecht-button utrecht-button--primary-action' }, t('timeout_extend'));
    this.timeoutBox = h('div', { class: 'balie-chat__timeout', role: 'alert' });
    this.timeoutInner = h('div', { class: 'balie-chat__timeout-inner', hidden: true }, this.timeoutText, this.extendButton);
    this.timeoutBox.append(this.timeoutInner);

    this.input = h('textarea', {
      class: 'utrecht-textarea utrecht-textarea--html-textarea balie-chat__input', id: 'balie-chat-input', name: 'text', rows: '2',
      'aria-describedby': 'balie-chat-input-help balie-chat-input-error balie-chat-input-count', maxlength: String(MAX_TEXT),
    });
    this.inputError = h('p', { class: 'utrecht-form-field-error-message balie-chat__error', id: 'balie-chat-input-error', hidden: true });
    this.inputCount = h('p', { class: 'utrecht-form-field-description balie-chat__small', id: 'balie-chat-input-count', hidden: true });
    this.composer = h('form', { class: 'balie-chat__composer', novalidate: true },
      h('div', { class: 'utrecht-form-field balie-chat__field' },
        h('label', { class: 'utrecht-form-label', for: 'balie-chat-input' }, t('composer_label')),
        h('p', { class: 'utrecht-form-field-description balie-chat__small', id: 'balie-chat-input-help' }, t('composer_help')),
        this.inputError, this.input, this.inputCount),
      h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action balie-chat__send' }, t('send')));
    const footer = h('div', { class: 'balie-chat__footer' }, this.status, this.timeoutBox, this.composer);

    this.panel = h('section', {
      class: 'balie-chat__panel', id: 'balie-chat-panel', role: 'region', 'aria-labelledby': 'balie-chat-title', hidden: true,
    }, header, this.scroller, footer);

    root.append(this.panel, this.launcher);
    if (old) old.replaceWith(root);
    else document.body.append(root);
    this.root = root;
    this.bind();
  }

  buildLeaveForm() {
    const t = (k, v) => this.t(k, v);
    const f = {};
    f.text = h('textarea', {
      class: 'utrecht-textarea utrecht-textarea--html-textarea', id: 'balie-leave-text', name: 'text', rows: '4',
      'aria-describedby': 'balie-leave-text-error', maxlength: String(MAX_TEXT),
    });
    f.textError = h('p', { class: 'utrecht-form-field-error-message', id: 'balie-leave-text-error', hidden: true });
    f.email = h('input', { class: 'balie-chat__radio', type: 'radio', name: 'reply-channel', id: 'balie-leave-email', value: 'email' });
    f.sms = h('input', { class: 'balie-chat__radio', type: 'radio', name: 'reply-channel', id: 'balie-leave-sms', value: 'sms' });
    f.channelError = h('p', { class: 'utrecht-form-field-error-message', id: 'balie-leave-channel-error', hidden: true });
    f.channelSet = h('fieldset', { class: 'utrecht-form-fieldset balie-chat__fieldset', 'aria-describedby': 'balie-leave-channel-error' },
      h('legend', { class: 'utrecht-form-fieldset__legend balie-chat__legend' }, t('leave_reply_legend')),
      f.channelError,
      h('div', { class: 'utrecht-form-field utrecht-form-field--radio balie-chat__check' }, f.email,
        h('label', { class: 'utrecht-form-label utrecht-form-label--radio', for: 'balie-leave-email' }, t('leave_reply_email'))),
      h('div', { class: 'utrecht-form-field utrecht-form-field--radio balie-chat__check' }, f.sms,
        h('label', { class: 'utrecht-form-label utrecht-form-label--radio', for: 'balie-leave-sms' }, t('leave_reply_sms'))));
    f.addressLabel = h('label', { class: 'utrecht-form-label', for: 'balie-leave-address' }, t('leave_address_email'));
    f.addressHelp = h('p', { class: 'utrecht-form-field-description balie-chat__small', id: 'balie-leave-address-help' }, t('leave_address_email_help'));
    f.addressError = h('p', { class: 'utrecht-form-field-error-message', id: 'balie-leave-address-error', hidden: true });
    f.address = h('input', {
      class: 'utrecht-textbox utrecht-textbox--html-input', type: 'email', id: 'balie-leave-address', name: 'address',
      autocomplete: 'email', 'aria-describedby': 'balie-leave-address-help balie-leave-address-error', maxlength: '320',
    });
    f.addressField = h('div', { class: 'utrecht-form-field', hidden: true }, f.addressLabel, f.addressHelp, f.addressError, f.address);
    f.name = h('input', { class: 'utrecht-textbox utrecht-textbox--html-input', type: 'text', id: 'balie-leave-name', name: 'name', autocomplete: 'name', maxlength: '200' });
    f.summaryList = h('ul', { class: 'balie-chat__error-list' });
    f.summary = h('div', { class: 'balie-chat__error-summary', id: 'balie-leave-errors', tabindex: '-1', hidden: true },
      h('p', { class: 'utrecht-paragraph' }, t('leave_errors_title')), f.summaryList);
    f.sendError = h('p', { class: 'utrecht-form-field-error-message', id: 'balie-leave-send-error', hidden: true });
    f.form = h('form', { class: 'balie-chat__leave-form', novalidate: true, 'aria-labelledby': 'balie-leave-title' },
      f.summary,
      h('div', { class: 'utrecht-form-field' },
        h('label', { class: 'utrecht-form-label', for: 'balie-leave-text' }, t('leave_text_label')), f.textError, f.text),
      f.channelSet,
      f.addressField,
      h('div', { class: 'utrecht-form-field' },
        h('label', { class: 'utrecht-form-label', for: 'balie-leave-name' }, t('leave_name_label')), f.name),
      f.sendError,
      h('button', { type: 'submit', class: 'utrecht-button utrecht-button--primary-action' }, t('leave_submit')));
    f.doneTitle = h('h3', { class: 'utrecht-heading-3', id: 'balie-leave-done-title', tabindex: '-1' }, t('leave_done_title'));
    f.doneText = h('p', { class: 'utrecht-paragraph' });
    f.done = h('div', { class: 'balie-chat__leave-done', hidden: true }, f.doneTitle, f.doneText);
    f.section = h('section', { class: 'balie-chat__leave', 'aria-labelledby': 'balie-leave-title', hidden: true },
      h('h3', { class: 'utrecht-heading-3', id: 'balie-leave-title' }, t('leave_title')),
      h('p', { class: 'utrecht-paragraph' }, t('closed_text')),
      f.form, f.done);
    return f;
  }

  bind() {
    this.launcher.addEventListener('click', () => (this.state.open ? this.close() : this.open()));
    this.closeButton.addEventListener('click', () => this.close());
    this.langButton.addEventListener('click', () => switchLanguage(this));
    this.root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.state.open && !e.isComposing) {
        e.preventDefault();
        this.close();
      }
    });
    this.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submitComposer();
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter sends; Shift+Enter is a new line; never while an IME composes.
      if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      e.preventDefault();
      this.submitComposer();
    });
    this.input.addEventListener('input', () => this.updateCount());
    this.extendButton.addEventListener('click', () => this.extendSession());
    this.newButton.addEventListener('click', () => {
      this.newButton.hidden = true;
      this.scrollToEnd();
      const last = this.log.lastElementChild;
      if (last) {
        last.setAttribute('tabindex', '-1');
        last.focus();
      }
    });
    this.scroller.addEventListener('scroll', () => {
      if (this.atBottom()) this.newButton.hidden = true;
    });
    for (const box of this.needsDetails.querySelectorAll('input[type=checkbox]')) {
      box.addEventListener('change', () => {
        this.state.needs = [...this.needsDetails.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value);
        this.save();
      });
    }
    this.nameInput.addEventListener('change', () => {
      this.state.name = this.nameInput.value.trim();
      this.save();
    });
    const f = this.leave;
    for (const radio of [f.email, f.sms]) radio.addEventListener('change', () => this.updateAddressField());
    f.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submitLeave();
    });
    // WCAG 2.4.11: the floating panel must never hide the focused element
    // of the host page. If it would, fold the panel away (focus stays put).
    document.addEventListener('focusin', (e) => {
      if (!this.state.open || this.root.contains(e.target)) return;
      if (this.covers(e.target)) this.close({ restoreFocus: false });
    });
    window.addEventListener('online', () => {
      if (this.state.token && !this.isLive()) {
        this.attempt = 0;
        this.connectSoon(0);
      }
    });
  }

  covers(el) {
    const a = this.panel.getBoundingClientRect();
    const b = el.getBoundingClientRect();
    if (!b.width && !b.height) return false;
    return b.left >= a.left && b.right <= a.right && b.top >= a.top && b.bottom <= a.bottom;
  }

  open() {
    this.state.open = true;
    this.save();
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.root.classList.add('balie-chat--open');
    document.documentElement.classList.add('balie-chat-host--open');
    this.focusEntry();
  }

  focusEntry() {
    if (!this.chatOpen && !this.state.token) {
      if (!this.leave.form.hidden) this.leave.text.focus();
      else this.leave.doneTitle.focus();
    } else {
      this.input.focus();
    }
  }

  close({ restoreFocus = true } = {}) {
    this.state.open = false;
    this.save();
    this.panel.hidden = true;
    this.launcher.setAttribute('aria-expanded', 'false');
    this.root.classList.remove('balie-chat--open');
    document.documentElement.classList.remove('balie-chat-host--open');
    if (restoreFocus) this.launcher.focus();
  }

  // -- messages ---------------------------------------------------------------

  /** A message list item: visible sender, hidden "X zegt:", text, time. */
  messageNode(m) {
    const t = (k, v) => this.t(k, v);
    const who = m.from === 'staff' ? ['sender_staff', 'sender_staff_says']
      : m.from === 'resident' ? ['sender_resident', 'sender_resident_said'] : ['sender_system', 'sender_system_says'];
    const text = h('p', { class: 'balie-chat__text' });
    text.textContent = m.text;
    const lang = langAttribute(m.lang);
    if (lang && lang !== this.state.lang) text.setAttribute('lang', lang);
    const time = h('time', { class: 'balie-chat__time' });
    const state = h('span', { class: 'balie-chat__state' });
    const retry = h('button', { type: 'button', class: 'utrecht-button utrecht-button--secondary-action balie-chat__retry', hidden: true }, t('retry'));
    const li = h('li', { class: `balie-chat__message balie-chat__message--${m.from}` },
      h('p', { class: 'balie-chat__sender' },
        h('span', { 'aria-hidden': 'true' }, t(who[0])),
        h('span', { class: 'balie-chat__visually-hidden' }, t(who[1]))),
      text,
      h('p', { class: 'balie-chat__meta' }, time, state, retry));
    li.balie = { time, state, retry, text };
    if (m.at) this.setTime(li, m.at);
    if (m.client_id) {
      retry.addEventListener('click', () => this.retry(m.client_id));
    }
    return li;
  }

  setTime(li, at) {
    const d = new Date(at);
    if (Number.isNaN(d.getTime())) return;
    // Only what changed: an ack and then the echo of the same message carry the same time, and a
    // needless change inside the live region is churn for screen readers.
    const shown = new Intl.DateTimeFormat(this.state.lang, { hour: '2-digit', minute: '2-digit' }).format(d);
    if (li.balie.time.dateTime !== d.toISOString()) li.balie.time.dateTime = d.toISOString();
    if (li.balie.time.textContent !== shown) li.balie.time.textContent = shown;
  }

  setSending(li) {
    li.classList.add('balie-chat__message--pending');
    li.classList.remove('balie-chat__message--failed');
    li.balie.state.textContent = this.t('sending');
    li.balie.retry.hidden = true;
  }

  setFailed(li, reason) {
    li.classList.remove('balie-chat__message--pending');
    li.classList.add('balie-chat__message--failed');
    li.balie.state.textContent = reason ? `${this.t('send_failed')} ${reason}` : this.t('send_failed');
    li.balie.retry.hidden = false;
  }

  setDelivered(li, at) {
    li.classList.remove('balie-chat__message--pending', 'balie-chat__message--failed');
    if (li.balie.state.textContent) li.balie.state.textContent = '';
    li.balie.retry.hidden = true;
    if (at) this.setTime(li, at);
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK_PX;
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Appends a node to the live log (announced) or the silent history. */
  append(li, { silent = false, own = false } = {}) {
    const wasAtBottom = this.atBottom();
    if (silent) {
      this.history.hidden = false;
      this.history.append(li);
    } else {
      this.log.append(li);
    }
    if (wasAtBottom || own || silent) this.scrollToEnd();
    else this.newButton.hidden = false;
  }

  /** A msg frame from either transport. */
  onMsg(m, { silent = false } = {}) {
    if (!Number.isInteger(m.seq)) return;
    if (m.seq > this.state.lastSeq) {
      this.state.lastSeq = m.seq;
      this.save();
    }
    const known = this.bySeq.get(m.seq);
    if (known) {
      // Our own message, acked first: the msg frame brings the server's time.
      if (m.at) this.setTime(known, m.at);
      return;
    }
    if (m.from === 'resident') {
      const own = this.adoptOwn(m);
      if (own) return;
    }
    const li = this.messageNode({ from: m.from === 'staff' ? 'staff' : m.from === 'resident' ? 'resident' : 'system', text: String(m.text ?? ''), at: m.at, lang: m.lang });
    li.dataset.seq = String(m.seq);
    this.bySeq.set(m.seq, li);
    this.append(li, { silent });
  }

  /** Matches a replayed own message to its pending node (by client_id, else text). */
  adoptOwn(m) {
    let entry = null;
    if (m.client_id) entry = this.state.outbox.find((o) => o.client_id === m.client_id);
    if (!entry) entry = this.state.outbox.find((o) => o.text === m.text && m.seq > (o.after_seq || 0) && !o.seq);
    if (!entry) return false;
    this.acked(entry.client_id, m.seq, m.at);
    return true;
  }

  acked(clientId, seq, at) {
    const li = this.pending.get(clientId);
    this.state.outbox = this.state.outbox.filter((o) => o.client_id !== clientId);
    this.save();
    if (!li) return;
    this.pending.delete(clientId);
    const existing = this.bySeq.get(seq);
    if (existing && existing !== li) {
      // Already shown (e.g. from another tab's replay): keep one node.
      li.remove();
      return;
    }
    li.dataset.seq = String(seq);
    this.bySeq.set(seq, li);
    // The ack carries no time; show this device's time until the msg frame
    // with the server's time arrives.
    this.setDelivered(li, at || new Date().toISOString());
  }

  // -- sending ----------------------------------------------------------------

  updateCount() {
    const left = MAX_TEXT - this.input.value.length;
    this.inputCount.hidden = this.input.value.length < COUNT_HINT_FROM;
    this.inputCount.textContent = this.t('count_left', { n: Math.max(0, left) });
    if (!this.inputError.hidden && this.input.value.trim()) this.showInputError(null);
  }

  showInputError(text) {
    this.inputError.hidden = !text;
    this.inputError.textContent = text || '';
    if (text) this.input.setAttribute('aria-invalid', 'true');
    else this.input.removeAttribute('aria-invalid');
  }

  async submitComposer() {
    const text = this.input.value;
    if (!text.trim()) {
      this.showInputError(this.t('error_empty'));
      this.input.focus();
      return;
    }
    if (text.length > MAX_TEXT) {
      this.showInputError(this.t('error_too_long', { max: MAX_TEXT }));
      this.input.focus();
      return;
    }
    this.showInputError(null);
    const entry = { client_id: uuid4(), text, after_seq: this.state.lastSeq };
    this.state.outbox.push(entry);
    this.save();
    const li = this.messageNode({ from: 'resident', text, client_id: entry.client_id });
    li.dataset.clientId = entry.client_id;
    this.setSending(li);
    this.pending.set(entry.client_id, li);
    this.append(li, { own: true });
    this.input.value = '';
    this.updateCount();
    if (!this.state.token) {
      const started = await this.startSession();
      if (!started) return;
    }
    this.sendEntry(entry);
  }

  retry(clientId) {
    const entry = this.state.outbox.find((o) => o.client_id === clientId);
    const li = this.pending.get(clientId);
    if (!entry || !li) return;
    this.setSending(li);
    this.input.focus();
    if (!this.state.token) {
      this.startSession().then((ok) => ok && this.sendEntry(entry));
      return;
    }
    this.sendEntry(entry);
  }

  sendEntry(entry) {
    this.lastSentClientId = entry.client_id;
    if (this.state.transport === 'sse') {
      this.postMessage(entry);
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.ws.balieWelcomed) {
      this.ws.send(JSON.stringify({ v: 1, type: 'message', client_id: entry.client_id, text: entry.text }));
    } else if (!this.ws) {
      this.connectSoon(0);
    }
    // Otherwise it goes out with the resend after the next welcome.
  }

  failPending(reason) {
    for (const [, li] of this.pending) this.setFailed(li, reason);
  }

  async startSession() {
    const body = { lang: this.state.lang };
    const name = this.nameInput.value.trim();
    if (name) body.name = name;
    if (this.state.needs.length) body.needs = this.state.needs;
    let res;
    try {
      res = await fetch(new URL('sessions', API), {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin',
      });
    } catch {
      this.failPending(this.t('error_start'));
      return false;
    }
    if (res.status === 503) {
      const p = await problemOf(res);
      if (String(p.type || '').endsWith('chat-closed')) {
        // Keep what the resident wrote: it moves into the leave-a-message form.
        const texts = this.state.outbox.map((o) => o.text).join('\n\n');
        for (const [id, li] of this.pending) {
          li.remove();
          this.pending.delete(id);
        }
        this.state.outbox = [];
        this.save();
        this.setChatOpen(false, p.notice || null);
        if (texts && !this.leave.text.value) this.leave.text.value = texts;
        this.leave.text.focus();
        return false;
      }
    }
    if (res.status !== 201) {
      this.failPending(this.t('error_start'));
      return false;
    }
    const s = await res.json();
    this.state.token = s.token;
    this.state.conversationId = s.conversation_id;
    // The session lasts ttlMs from the last message (balied slides it on
    // activity). Counted on this device's clock: whole minutes absorb a
    // clock skew of up to 30 s.
    const measured = Number.isFinite(s.expires_in) ? s.expires_in * 1000 : Date.parse(s.expires_at || '') - Date.now();
    this.state.ttlMs = Number.isFinite(measured) && measured > 0 ? Math.max(60000, Math.round(measured / 60000) * 60000) : null;
    this.state.expiresAt = this.state.ttlMs ? new Date(Date.now() + this.state.ttlMs).toISOString() : s.expires_at || null;
    this.state.lastSeq = 0;
    for (const o of this.state.outbox) o.after_seq = 0;
    this.save();
    this.showNeedsChosen();
    this.scheduleTimeout();
    this.connect();
    return true;
  }

  showNeedsChosen() {
    const started = Boolean(this.state.token);
    this.needsDetails.hidden = started;
    const chosen = NEEDS.filter(([v]) => this.state.needs.includes(v)).map(([, k]) => this.t(k).toLowerCase());
    this.needsChosen.hidden = !started || chosen.length === 0;
    this.needsChosen.textContent = chosen.length ? this.t('needs_chosen', { needs: chosen.join(', ') }) : '';
  }

  endSession() {
    this.state.token = null;
    this.state.conversationId = null;
    this.state.expiresAt = null;
    this.state.ttlMs = null;
    this.state.lastSeq = 0;
    this.state.transport = 'ws';
    this.save();
    this.stopTransports();
    this.clearTimeoutWarning();
    clearTimeout(this.expireTimer);
    this.failPending(null);
    this.showNeedsChosen();
    this.announce(this.t('session_ended'), { now: true });
  }

  // -- status -------------------------------------------------------------------

  /** Rate-limited status text: at most one change per STATUS_MIN_INTERVAL_MS. */
  announce(text, { now = false } = {}) {
    const since = Date.now() - this.statusShownAt;
    if (now || since >= STATUS_MIN_INTERVAL_MS) {
      clearTimeout(this.statusTimer);
      this.statusQueued = null;
      this.status.textContent = text;
      this.statusShownAt = Date.now();
      return;
    }
    this.statusQueued = text;
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => {
      if (this.statusQueued !== null) this.announce(this.statusQueued, { now: true });
    }, STATUS_MIN_INTERVAL_MS - since);
  }

  setChatOpen(open, noticeText) {
    this.chatOpen = open;
    const showChat = open || Boolean(this.state.token);
    this.leave.section.hidden = showChat;
    this.composer.hidden = !showChat;
    this.intro.hidden = !showChat;
    this.needsDetails.hidden = !showChat || Boolean(this.state.token);
    this.notice.hidden = !noticeText;
    this.notice.textContent = noticeText || '';
  }

  // -- transports -----------------------------------------------------------

  isLive() {
    return Boolean((this.ws && this.ws.balieWelcomed) || (this.sse && this.sse.live));
  }

  stopTransports() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.balieStale = true;
      try {
        ws.close(1000);
      } catch {
        // Already closing.
      }
    }
    if (this.sse) {
      this.sse.abort.abort();
      this.sse = null;
    }
  }

  connect() {
    if (!this.state.token) return;
    if (this.state.transport === 'sse' || typeof window.WebSocket !== 'function') {
      this.state.transport = 'sse';
      this.save();
      this.connectSse();
      return;
    }
    this.connectWs();
  }

  connectSoon(delay) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  /** Schedules the next attempt with full-jitter backoff. */
  reconnectLater(minDelay = 0) {
    if (!this.lostConnection) {
      this.lostConnection = true;
      this.announce(navigator.onLine === false ? this.t('status_offline') : this.t('status_reconnecting'));
    }
    const delay = Math.max(minDelay, backoffDelay(this.attempt));
    this.attempt += 1;
    this.connectSoon(delay);
  }

  connected(fallback = false) {
    this.connectedAt = Date.now();
    if (this.lostConnection || fallback) {
      this.lostConnection = false;
      this.announce(this.t(fallback ? 'status_fallback' : 'status_reconnected'));
    }
  }

  connectWs() {
    if (this.ws) return;
    const url = new URL('ws', API);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(url.href);
    } catch {
      this.wsFailed();
      return;
    }
    this.ws = ws;
    ws.balieWelcomed = false;
    const welcomeTimer = setTimeout(() => {
      if (!ws.balieWelcomed) ws.close(4000);
    }, WELCOME_TIMEOUT_MS);
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify({ v: 1, type: 'hello', token: this.state.token, last_seq: this.state.lastSeq }));
    });
    ws.addEventListener('message', (e) => {
      if (ws.balieStale) return;
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object') this.onFrame(frame, ws);
    });
    ws.addEventListener('close', (e) => {
      clearTimeout(welcomeTimer);
      if (ws.balieStale) return;
      this.ws = null;
      this.onWsClose(e.code, ws.balieWelcomed);
    });
  }

  wsFailed() {
    this.wsFailures += 1;
    if (!this.everWelcomed && this.wsFailures >= WS_FAILURES_BEFORE_FALLBACK) {
      this.state.transport = 'sse';
      this.save();
      this.attempt = 0;
      this.connectSoon(0);
      return;
    }
    this.reconnectLater();
  }

  onWsClose(code, welcomed) {
    if (SESSION_END_CODES.has(code)) {
      this.endSession();
      return;
    }
    if (NO_RETRY_CODES.has(code)) {
      this.announce(this.t('status_broken'), { now: true });
      this.failPending(null);
      return;
    }
    if (welcomed && Date.now() - this.connectedAt >= STABLE_MS) this.attempt = 0;
    if (code === 4429) {
      this.reconnectLater(this.retryAfterMs);
      return;
    }
    if (!welcomed) this.wsFailed();
    else this.reconnectLater();
  }

  onFrame(f, ws) {
    switch (f.type) {
      case 'welcome':
        if (ws) ws.balieWelcomed = true;
        this.everWelcomed = true;
        this.wsFailures = 0;
        if (f.expires_at) this.setExpiry(f.expires_at);
        this.connected();
        this.resendOutbox();
        break;
      case 'msg':
        this.onMsg(f);
        break;
      case 'ack':
        this.slideExpiry(f.expires_at);
        this.acked(f.client_id, f.seq, f.at);
        break;
      case 'resync':
        this.resync();
        break;
      case 'notice':
        this.onNotice(f);
        break;
      case 'error':
        this.onError(f);
        break;
      case 'session':
        if (f.expires_at) this.setExpiry(f.expires_at);
        break;
      default:
        break;
    }
  }

  onNotice(f) {
    const key = { closed: 'notice_closed', open: 'notice_open', 'case-closed': 'notice_case_closed' }[f.code];
    const text = key ? this.t(key) : String(f.text || '');
    if (!text) return;
    const li = this.messageNode({ from: 'system', text: f.code === 'closed' && f.text ? `${text} ${f.text}` : text, at: f.at || new Date().toISOString() });
    this.append(li);
    if (f.code === 'closed') this.chatOpen = false;
    if (f.code === 'open') this.chatOpen = true;
  }

  onError(f) {
    if (f.code === 'rate-limited' && Number.isFinite(f.retry_after)) this.retryAfterMs = f.retry_after * 1000;
    const reason = { 'too-long': this.t('error_too_long', { max: MAX_TEXT }), 'rate-limited': this.t('error_rate_limited'),
      'invalid-message': this.t('error_invalid') }[f.code];
    if (!reason) return;
    // The error frame names no client_id: it concerns the latest message sent.
    const target = f.client_id || this.lastSentClientId;
    const li = this.pending.get(target);
    if (li) this.setFailed(li, reason);
  }

  resendOutbox() {
    for (const entry of this.state.outbox) {
      const li = this.pending.get(entry.client_id);
      if (li && li.classList.contains('balie-chat__message--failed')) continue;
      this.sendEntry(entry);
    }
  }

  async resync() {
    const h2 = await this.fetchHistory();
    if (!h2) return;
    this.bySeq.clear();
    this.history.replaceChildren();
    for (const li of [...this.log.children]) {
      if (!li.dataset.clientId || !this.pending.has(li.dataset.clientId)) li.remove();
    }
    this.state.lastSeq = 0;
    for (const m of h2.messages || []) this.onMsg(m, { silent: true });
    if (Number.isInteger(h2.last_seq) && h2.last_seq > this.state.lastSeq) this.state.lastSeq = h2.last_seq;
    this.save();
  }

  async fetchHistory() {
    try {
      const res = await fetch(new URL('history', API), { headers: { Authorization: `Bearer ${this.state.token}` }, credentials: 'same-origin' });
      if (res.status === 401) {
        this.endSession();
        return null;
      }
      if (!res.ok) return null;
      return await res.json();
    } catch {
      return null;
    }
  }

  // Fallback: server-sent events read with fetch, messages with POST.
  async connectSse() {
    if (this.sse) return;
    const abort = new AbortController();
    const sse = { abort, live: false };
    this.sse = sse;
    const headers = { Authorization: `Bearer ${this.state.token}`, Accept: 'text/event-stream' };
    if (this.state.lastSeq > 0) headers['Last-Event-ID'] = String(this.state.lastSeq);
    let res;
    try {
      res = await fetch(new URL('events', API), { headers, signal: abort.signal, credentials: 'same-origin', cache: 'no-store' });
    } catch {
      if (this.sse === sse) {
        this.sse = null;
        this.reconnectLater();
      }
      return;
    }
    if (this.sse !== sse) return;
    if (res.status === 401 || res.status === 410) {
      this.sse = null;
      this.endSession();
      return;
    }
    if (!res.ok || !res.body) {
      this.sse = null;
      this.reconnectLater(res.status === 429 ? (Number(res.headers.get('Retry-After')) || 0) * 1000 : 0);
      return;
    }
    sse.live = true;
    this.connected(!this.everWelcomed && !this.sseAnnounced);
    this.sseAnnounced = true;
    const openedAt = Date.now();
    this.resendOutbox();
    const parser = new EventStreamParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const ev of parser.feed(value)) {
          let frame;
          try {
            frame = JSON.parse(ev.data);
          } catch {
            continue;
          }
          if (!frame || typeof frame !== 'object') continue;
          if (!frame.type) frame.type = ev.event;
          this.onFrame(frame, null);
        }
      }
    } catch {
      // Network gone or aborted: handled below.
    }
    if (this.sse !== sse) return;
    this.sse = null;
    if (Date.now() - openedAt >= STABLE_MS) this.attempt = 0;
    this.reconnectLater();
  }

  async postMessage(entry) {
    let res;
    try {
      res = await fetch(new URL('messages', API), {
        method: 'POST', credentials: 'same-origin',
        headers: { Authorization: `Bearer ${this.state.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ client_id: entry.client_id, text: entry.text }),
      });
    } catch {
      // Stays pending; resent when the event stream is back.
      if (!this.sse) this.reconnectLater();
      return;
    }
    if (res.status === 202 || res.status === 200 || res.status === 201) {
      const a = await res.json().catch(() => ({}));
      if (Number.isInteger(a.seq)) {
        this.slideExpiry(a.expires_at);
        this.acked(entry.client_id, a.seq, a.at);
      }
      return;
    }
    const li = this.pending.get(entry.client_id);
    if (res.status === 401) this.endSession();
    else if (res.status === 429) li && this.setFailed(li, this.t('error_rate_limited'));
    else if (res.status === 400 || res.status === 413 || res.status === 422) li && this.setFailed(li, this.t('error_invalid'));
    // 5xx: stays pending; the next reconnect resends.
  }

  // -- session time-out (WCAG 2.2.1) -------------------------------------------

  /**
   * The session's end. With expires_in (seconds) the end is counted on this
   * device's clock, which survives clock skew; otherwise expires_at as given.
   */
  setExpiry(at, expiresIn) {
    if (Number.isFinite(expiresIn)) at = new Date(Date.now() + expiresIn * 1000).toISOString();
    this.state.expiresAt = at;
    this.save();
    this.scheduleTimeout();
  }

  /** A message was accepted: the server kept the session alive. */
  slideExpiry(expiresAt) {
    if (expiresAt) this.setExpiry(expiresAt);
    else if (this.state.ttlMs) this.setExpiry(new Date(Date.now() + this.state.ttlMs).toISOString());
    this.clearTimeoutWarning();
  }

  scheduleTimeout() {
    clearTimeout(this.warnTimer);
    clearTimeout(this.expireTimer);
    const end = Date.parse(this.state.expiresAt || '');
    if (!this.state.token || Number.isNaN(end)) return;
    const now = Date.now();
    this.warnTimer = setTimeout(() => this.showTimeoutWarning(end), Math.max(0, end - WARN_BEFORE_MS - now));
    this.expireTimer = setTimeout(() => {
      if (this.state.token && Date.parse(this.state.expiresAt || '') <= Date.now()) this.endSession();
    }, Math.max(0, end - now + 1000));
  }

  showTimeoutWarning(end) {
    const time = new Intl.DateTimeFormat(this.state.lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(end));
    this.timeoutText.textContent = this.t('timeout_warning', { time });
    this.timeoutInner.hidden = false;
  }

  clearTimeoutWarning() {
    this.timeoutInner.hidden = true;
    this.timeoutText.textContent = '';
  }

  async extendSession() {
    let ok = false;
    try {
      const res = await fetch(new URL('sessions/extend', API), {
        method: 'POST', credentials: 'same-origin', headers: { Authorization: `Bearer ${this.state.token}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      if (res.ok) {
        const s = await res.json();
        if (s.expires_at || Number.isFinite(s.expires_in)) {
          this.clearTimeoutWarning();
          this.setExpiry(s.expires_at, s.expires_in);
          ok = true;
        }
      }
    } catch {
      ok = false;
    }
    this.input.focus();
    this.announce(this.t(ok ? 'timeout_extended' : 'timeout_extend_failed'), { now: true });
  }

  // -- leave a message -----------------------------------------------------------

  updateAddressField() {
    const f = this.leave;
    const channel = f.sms.checked ? 'sms' : f.email.checked ? 'email' : null;
    f.addressField.hidden = !channel;
    if (!channel) return;
    f.addressLabel.textContent = this.t(channel === 'sms' ? 'leave_address_sms' : 'leave_address_email');
    f.addressHelp.textContent = this.t(channel === 'sms' ? 'leave_address_sms_help' : 'leave_address_email_help');
    f.address.type = channel === 'sms' ? 'tel' : 'email';
    f.address.autocomplete = channel === 'sms' ? 'tel' : 'email';
  }

  leaveFieldErrors(errors) {
    const f = this.leave;
    const fields = [
      ['text', f.text, f.textError],
      ['reply.channel', f.email, f.channelError],
      ['reply.address', f.address, f.addressError],
    ];
    f.summaryList.replaceChildren();
    let first = null;
    for (const [name, input, errorEl] of fields) {
      const msg = errors[name];
      errorEl.hidden = !msg;
      errorEl.textContent = msg || '';
      const targets = name === 'reply.channel' ? [f.email, f.sms] : [input];
      for (const el of targets) {
        if (msg) el.setAttribute('aria-invalid', 'true');
        else el.removeAttribute('aria-invalid');
      }
      if (msg) {
        const link = h('a', { class: 'utrecht-link', href: `#${input.id}` }, msg);
        link.addEventListener('click', (e) => {
          e.preventDefault();
          input.focus();
        });
        f.summaryList.append(h('li', {}, link));
        first ??= input;
      }
    }
    f.summary.hidden = !first;
    return first;
  }

  async submitLeave() {
    const f = this.leave;
    const channel = f.sms.checked ? 'sms' : f.email.checked ? 'email' : null;
    const text = f.text.value;
    const address = f.address.value.trim();
    const errors = {};
    if (!text.trim()) errors.text = this.t('leave_error_text');
    else if (text.length > MAX_TEXT) errors.text = this.t('leave_error_text_long', { max: MAX_TEXT });
    if (!channel) errors['reply.channel'] = this.t('leave_error_channel');
    else if (!checkAddress(channel, address)) errors['reply.address'] = this.t(channel === 'sms' ? 'leave_error_sms' : 'leave_error_email');
    f.sendError.hidden = true;
    const first = this.leaveFieldErrors(errors);
    if (first) {
      first.focus();
      return;
    }
    const body = { lang: this.state.lang, text, reply: { channel, address } };
    const name = f.name.value.trim();
    if (name) body.name = name;
    if (this.state.needs.length) body.needs = this.state.needs;
    let res;
    try {
      res = await fetch(new URL('leave-message', API), {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin',
      });
    } catch {
      res = null;
    }
    if (res && res.status === 400) {
      const p = await problemOf(res);
      const server = {};
      for (const ip of p['invalid-params'] || []) {
        if (ip.name === 'text') server.text = this.t('leave_error_text');
        if (ip.name === 'reply.channel') server['reply.channel'] = this.t('leave_error_channel');
        if (ip.name === 'reply.address') server['reply.address'] = this.t(channel === 'sms' ? 'leave_error_sms' : 'leave_error_email');
      }
      const firstServer = this.leaveFieldErrors(server);
      if (firstServer) {
        firstServer.focus();
        return;
      }
    }
    if (!res || res.status !== 202) {
      f.sendError.hidden = false;
      f.sendError.textContent = this.t('leave_error_send');
      f.sendError.setAttribute('tabindex', '-1');
      f.sendError.focus();
      return;
    }
    const a = await res.json().catch(() => ({}));
    f.form.hidden = true;
    f.doneText.textContent = this.t('leave_done_text', {
      reference: a.reference || '', channel: this.t(channel === 'sms' ? 'leave_done_channel_sms' : 'leave_done_channel_email'),
    });
    f.done.hidden = false;
    f.doneTitle.focus();
  }

  // -- other ways in ----------------------------------------------------------

  /** "Rather write?": filled from the server's list of channels that are on; hidden while it is empty. */
  buildOtherWays() {
    const t = (k) => this.t(k);
    this.otherWaysList = h('ul', { class: 'balie-chat__route-list' });
    this.otherWays = h('div', { class: 'balie-chat__other-ways', hidden: true },
      h('h3', { class: 'utrecht-heading-3 balie-chat__routes-title', id: 'balie-chat-other-ways-title' }, t('other_ways_title')),
      this.otherWaysList);
    this.otherWays.setAttribute('aria-labelledby', 'balie-chat-other-ways-title');
    return this.otherWays;
  }

  /**
   * Each way as the server lists it (a Big Tech platform last, with what that means for the
   * resident). Only known kinds and only mailto:, sms: and https: links are shown.
   */
  showOtherWays(ways) {
    this.otherWaysData = Array.isArray(ways) ? ways : [];
    const known = { email: 'way_email', sms: 'way_sms', matrix: 'way_matrix', whatsapp: 'way_whatsapp' };
    const items = [];
    const ordered = [...this.otherWaysData.filter((w) => w && !w.big_tech), ...this.otherWaysData.filter((w) => w && w.big_tech)];
    for (const w of ordered) {
      if (!known[w.kind] || typeof w.address !== 'string' || typeof w.href !== 'string') continue;
      if (!/^(mailto:|sms:|https:)/.test(w.href)) continue;
      const li = h('li', { 'data-kind': w.kind }, `${this.t(known[w.kind])} `, h('a', { class: 'utrecht-link', href: w.href }, w.address), '.');
      if (w.big_tech) li.append(` ${this.t('way_big_tech_note')}`);
      items.push(li);
    }
    this.otherWaysList.replaceChildren(...items);
    this.otherWays.hidden = items.length === 0;
  }

  // -- start -------------------------------------------------------------------

  async start() {
    this.build();
    this.showNeedsChosen();
    let status = { open: true, notice: null };
    try {
      const res = await fetch(new URL('status', API), { credentials: 'same-origin' });
      if (res.ok) status = await res.json();
    } catch {
      // Unknown: offer the chat; starting a session says if it is closed.
    }
    // The admin's notice in the resident's language when there is one, else the Dutch one.
    const notice = this.state.lang === 'en' && typeof status.notice_en === 'string' ? status.notice_en : status.notice;
    this.setChatOpen(Boolean(status.open), typeof notice === 'string' ? notice : null);
    this.showOtherWays(status.other_ways);
    if (this.state.token) await this.restore();
    if (this.state.open) this.open();
  }

  /** After a reload: history into the silent list, pending ones back, connect. */
  async restore() {
    const hist = await this.fetchHistory();
    if (hist) {
      for (const m of hist.messages || []) this.onMsg(m, { silent: true });
    }
    for (const entry of this.state.outbox) {
      if (this.pending.has(entry.client_id)) continue;
      const li = this.messageNode({ from: 'resident', text: entry.text, client_id: entry.client_id });
      li.dataset.clientId = entry.client_id;
      this.setSending(li);
      this.pending.set(entry.client_id, li);
      this.append(li, { silent: true });
    }
    if (!this.state.token) return;
    this.setChatOpen(this.chatOpen, this.notice.textContent || null);
    this.scheduleTimeout();
    this.connect();
  }
}

async function switchLanguage(widget) {
  const next = widget.t('switch_language_lang');
  const texts = await loadTexts(next);
  // Keep everything; rebuild the widget in the other language. Earlier
  // messages go into the silent history so they are not read out again.
  const records = [...widget.history.children, ...widget.log.children];
  widget.stopTransports();
  const fresh = new ChatWidget(texts);
  fresh.state.lang = texts.lang;
  fresh.state.open = true;
  fresh.build();
  fresh.showNeedsChosen();
  fresh.chatOpen = widget.chatOpen;
  fresh.setChatOpen(widget.chatOpen, widget.notice.textContent || null);
  fresh.showOtherWays(widget.otherWaysData);
  for (const li of records) {
    const seq = li.dataset.seq ? Number(li.dataset.seq) : null;
    const clientId = li.dataset.clientId || null;
    const from = li.classList.contains('balie-chat__message--staff') ? 'staff'
      : li.classList.contains('balie-chat__message--resident') ? 'resident' : 'system';
    const node = fresh.messageNode({ from, text: li.balie.text.textContent, at: li.balie.time.dateTime || null, client_id: clientId, lang: li.balie.text.getAttribute('lang') });
    if (seq !== null) {
      node.dataset.seq = String(seq);
      fresh.bySeq.set(seq, node);
    } else if (clientId && widget.pending.has(clientId)) {
      node.dataset.clientId = clientId;
      fresh.pending.set(clientId, node);
      if (li.classList.contains('balie-chat__message--failed')) fresh.setFailed(node, null);
      else fresh.setSending(node);
    }
    fresh.append(node, { silent: true });
  }
  fresh.save();
  fresh.open();
  fresh.langButton.focus();
  active = fresh;
  if (fresh.state.token) {
    fresh.scheduleTimeout();
    fresh.connect();
  }
}

let active = null;

async function main() {
  const saved = store.load();
  const pageLang = (document.documentElement.lang || 'nl').toLowerCase().startsWith('en') ? 'en' : 'nl';
  const lang = saved.lang === 'en' || saved.lang === 'nl' ? saved.lang : pageLang;
  const texts = await loadTexts(lang);
  active = new ChatWidget(texts);
  await active.start();
}

if (typeof document !== 'undefined' && !globalThis.BALIE_CHAT_NO_AUTOSTART) {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main, { once: true });
  else main();
}
