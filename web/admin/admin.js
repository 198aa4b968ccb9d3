// Balie channel management: the page logic behind web/admin/index.html.
//
// Design: like the staff inbox (web/inbox/inbox.js), one plain ES module
// without a framework or build step. The HTML holds every static control;
// this module fills the channel table and the history, and shows the switch
// form for one channel at a time. Everything that comes from the API is put
// into the page with textContent, never parsed as HTML. The admin token
// lives in sessionStorage only and travels in the Authorization header.
// After every action focus moves to where the admin continues, and the
// outcome is announced in the status region.

const API = '/api/v1';
const TOKEN_KEY = 'balie.admin-token';

const CHANNEL_WORDS = { phone: 'Telefoon', email: 'E-mail', webchat: 'Webchat', sms: 'Sms', messenger: 'Messenger' };
const HEALTH_WORDS = { up: 'Werkt', degraded: 'Werkt deels', down: 'Werkt niet', 'bad-credentials': 'Inloggegevens kloppen niet' };

const $ = (id) => document.getElementById(id);
const word = (table, key) => table[key] ?? String(key ?? '');

/** A date and time as people read it, in Dutch. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat('nl-NL', { dateStyle: 'long', timeStyle: 'short' }).format(d);
}

/** A channel's health in words, with its reason when there is one. */
export function healthText(health) {
  if (!health || !health.state) return 'Onbekend';
  const text = word(HEALTH_WORDS, health.state);
  return health.reason ? `${text}: ${health.reason}` : text;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

class AdminPage {
  constructor() {
    this.token = sessionStorage.getItem(TOKEN_KEY) || '';
    this.channels = [];
    this.switching = null;  // { name, enable }
  }

  async call(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let json = null;
    try {
      json = await res.json();
    } catch {
      // Not JSON: the status alone tells what happened.
    }
    return { status: res.status, json };
  }

  status(text) {
    $('status').textContent = text;
  }

  start() {
    $('sign-in-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.signIn($('token').value.trim());
    });
    $('sign-out').addEventListener('click', () => this.signOut());
    $('switch-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.submitSwitch();
    });
    $('switch-cancel').addEventListener('click', () => this.closeSwitch(true));
    if (this.token) this.signIn(this.token);
  }

  async signIn(token) {
    const error = $('token-error');
    error.hidden = true;
    if (!token) return this.tokenError('Vul uw toegangscode in.');
    this.token = token;
    let r;
    try {
      r = await this.call('GET', '/channels');
    } catch {
      return this.tokenError('Balie is nu niet bereikbaar. Probeer het over een minuut opnieuw.');
    }
    if (r.status === 401) return this.tokenError('Deze toegangscode klopt niet.');
    if (r.status === 403) return this.tokenError('Met deze code kunt u geen kanalen beheren. Vraag een beheerderscode aan.');
    if (r.status === 429) return this.tokenError('U heeft te vaak een verkeerde code gebruikt. Wacht een minuut.');
    if (r.status !== 200) return this.tokenError('Balie kon uw code nu niet controleren. Probeer het opnieuw.');
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    $('token').removeAttribute('aria-invalid');
    $('sign-in').hidden = true;
    $('app').hidden = false;
    $('user-bar').hidden = false;
    $('user-name').textContent = 'Ingelogd als beheerder';
    this.channels = r.json.channels || [];
    this.render();
    $('channels-title').focus();
  }

  tokenError(text) {
    sessionStorage.removeItem(TOKEN_KEY);
    this.token = '';
    const error = $('token-error');
    error.textContent = text;
    error.hidden = false;
    $('token').setAttribute('aria-invalid', 'true');
    $('token').focus();
  }

  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    this.token = '';
    $('app').hidden = true;
    $('user-bar').hidden = true;
    $('sign-in').hidden = false;
    $('token').removeAttribute('aria-invalid');
    this.status('U bent uitgelogd.');
    $('token').focus();
  }

  async load() {
    const r = await this.call('GET', '/channels');
    if (r.status !== 200) {
      this.status('De kanalen konden niet worden geladen. Probeer het opnieuw.');
      return;
    }
    this.channels = r.json.channels || [];
    this.render();
  }

  render() {
    const rows = $('channel-rows');
    rows.replaceChildren();
    for (const c of this.channels) {
      const name = word(CHANNEL_WORDS, c.name);
      const tr = el('tr', 'utrecht-table__row');
      const th = el('th', 'utrecht-table__header-cell', name);
      th.scope = 'row';
      const state = el('td', `utrecht-table__cell balie-channel-state--${c.enabled ? 'on' : 'off'}`, c.enabled ? 'Aan' : 'Uit');
      if (!c.enabled && c.notice?.nl) state.append(el('p', 'balie-small', `Bericht voor inwoners: ${c.notice.nl}`));
      const health = el('td', 'utrecht-table__cell', healthText(c.health));
      const changed = el('td', 'utrecht-table__cell');
      changed.append(el('span', null, c.reason || ''));
      const by = [c.changed_by === 'config' ? 'instellingen' : c.changed_by, when(c.since)].filter(Boolean).join(', ');
      if (by) changed.append(el('p', 'balie-small', by));
      const actions = el('td', 'utrecht-table__cell');
      const group = el('div', 'balie-row-actions');
      const toggle = el('button', 'utrecht-button utrecht-button--secondary-action', c.enabled ? `${name} uitzetten` : `${name} aanzetten`);
      toggle.type = 'button';
      toggle.addEventListener('click', () => this.openSwitch(c, toggle));
      const history = el('button', 'utrecht-button utrecht-button--subtle', `Geschiedenis van ${name}`);
      history.type = 'button';
      history.addEventListener('click', () => this.showHistory(c));
      group.append(toggle, history);
      actions.append(group);
      tr.append(th, state, health, changed, actions);
      rows.append(tr);
    }
  }

  openSwitch(c, opener) {
    this.switching = { name: c.name, enable: !c.enabled, opener };
    const name = word(CHANNEL_WORDS, c.name);
    $('switch-title').textContent = c.enabled ? `${name} uitzetten` : `${name} aanzetten`;
    $('switch-submit').textContent = c.enabled ? `${name} uitzetten` : `${name} aanzetten`;
    $('notice-fields').hidden = !c.enabled;  // a notice only matters while a channel is off
    for (const id of ['switch-reason', 'switch-notice-nl', 'switch-notice-en']) $(id).value = '';
    this.clearSwitchErrors();
    $('switch').hidden = false;
    $('switch-title').focus();
  }

  closeSwitch(restoreFocus) {
    $('switch').hidden = true;
    const opener = this.switching?.opener;
    this.switching = null;
    if (restoreFocus && opener?.isConnected) opener.focus();
  }

  clearSwitchErrors() {
    for (const id of ['switch-error', 'switch-reason-error']) {
      $(id).hidden = true;
      $(id).textContent = '';
    }
    $('switch-reason').removeAttribute('aria-invalid');
  }

  async submitSwitch() {
    if (!this.switching) return;
    this.clearSwitchErrors();
    const reason = $('switch-reason').value.trim();
    if (!reason) {
      $('switch-reason-error').textContent = 'Schrijf waarom u dit kanaal aan- of uitzet.';
      $('switch-reason-error').hidden = false;
      $('switch-reason').setAttribute('aria-invalid', 'true');
      $('switch-reason').focus();
      return;
    }
    const { name, enable } = this.switching;
    const body = { enabled: enable, reason };
    const nl = $('switch-notice-nl').value.trim();
    const en = $('switch-notice-en').value.trim();
    if (!enable && (nl || en)) body.notice = en ? { nl, en } : { nl };
    let r;
    try {
      r = await this.call('PUT', `/channels/${encodeURIComponent(name)}`, body);
    } catch {
      r = { status: 0, json: null };
    }
    if (r.status === 200) {
      const words = word(CHANNEL_WORDS, name);
      this.closeSwitch(false);
      await this.load();
      this.status(enable ? `${words} staat weer aan.` : `${words} staat uit.`);
      $('channels-title').focus();
      return;
    }
    const error = $('switch-error');
    if (r.status === 409) error.textContent = 'Dit is het laatste kanaal dat aan staat. Inwoners moeten de gemeente altijd kunnen bereiken. Zet eerst een ander kanaal aan.';
    else if (r.status === 400) error.textContent = `Controleer wat u schreef: ${(r.json?.['invalid-params'] || []).map((p) => p.reason).join(' ') || 'het is niet geldig.'}`;
    else if (r.status === 401 || r.status === 403) error.textContent = 'Uw toegangscode geeft geen toegang meer. Log opnieuw in.';
    else error.textContent = 'Het lukte nu niet. Probeer het over een minuut opnieuw.';
    error.hidden = false;
    error.focus();
  }

  async showHistory(c) {
    const r = await this.call('GET', `/channels/${encodeURIComponent(c.name)}/history`);
    if (r.status !== 200) {
      this.status('De geschiedenis kon niet worden geladen.');
      return;
    }
    const name = word(CHANNEL_WORDS, c.name);
    $('history-title').textContent = `Geschiedenis van ${name}: wanneer het uit stond`;
    const list = $('history-list');
    list.replaceChildren();
    const periods = r.json.unavailable || [];
    for (const p of [...periods].reverse()) {
      const until = p.to ? `tot ${when(p.to)}` : 'staat nog uit';
      list.append(el('li', null, `Van ${when(p.from)} ${until}. Reden: ${p.reason || 'niet gegeven'}.`));
    }
    $('history-empty').hidden = periods.length > 0;
    $('history').hidden = false;
    $('history-title').focus();
  }
}

if (typeof document !== 'undefined') {
  const page = new AdminPage();
  page.start();
  // The error text is focusable only when shown; it is not a control.
  document.getElementById('switch-error').tabIndex = -1;
}
