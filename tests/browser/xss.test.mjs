// Resident content must never run in the staff inbox. Every payload of
// fixtures/xss-payloads.txt becomes the subject, text, resident name and
// attachment filename of one seeded case; the test opens every case in the
// page (with the real CSP: no bypassCSP here) and requires
//   - no execution: payloads call alert/confirm/prompt/print or
//     window.__balie_xss(), all of which are reported to the test;
//   - no request to any host but the test server;
//   - no CSP violation: the page must never even create markup from resident
//     text, so the CSP may not be what saves it;
//   - the payload shown literally as text in the list and in the case.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startStack } from './support/stack.mjs';
import { inboundMessage, signIn } from './support/fixtures.mjs';

const payloadFile = new URL('./fixtures/xss-payloads.txt', import.meta.url);
const root = process.env.BALIE_SOURCE_DIR || fileURLToPath(new URL('../..', import.meta.url));
// File names are shown without bidirectional and control characters (no
// "factuur<RLO>fdp.exe" spoofing); everything else stays literal.
const { visibleFilename } = await import(pathToFileURL(path.join(root, 'web/inbox/inbox.js')));
let stack;
let payloads;
let seeded;

before(async () => {
  payloads = (await readFile(payloadFile, 'utf8')).split('\n').filter((l) => l !== '');
  stack = await startStack();
  // Every third case is a phone call, whose transcript carries the payload too.
  seeded = await stack.seed(payloads.map((p, i) => inboundMessage({
    channel: ['sms', 'email', 'phone'][i % 3],
    inbox: 'algemeen',
    subject: p,
    text: p,
    name: p,
    attachments: [{ filename: p, content_type: 'application/octet-stream', size: 10 + i }],
    transcript: i % 3 === 2 ? [{ speaker: 'resident', text: p }, { speaker: 'staff', text: 'Dank u, ik noteer het.' }] : undefined,
  })));
});

after(async () => {
  await stack?.stop();
});

test('the payload corpus has at least 200 distinct payloads', () => {
  assert.ok(payloads.length >= 200, `only ${payloads.length} payloads`);
  assert.equal(new Set(payloads).size, payloads.length, 'payloads repeat');
});

test('no payload runs, loads a foreign resource or trips the CSP, and every payload is shown as literal text', async () => {
  const { context, page } = await stack.newPage({ viewport: { width: 1400, height: 900 } });
  const executions = [];
  const foreign = [];
  try {
    await page.exposeFunction('__balie_xss', (what) => { executions.push(`__balie_xss(${what})`); });
    // Report print and CSP violations too; alert/confirm/prompt arrive as dialogs.
    await page.addInitScript(() => {
      window.print = () => window.__balie_xss('print');
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__balie_xss(`csp ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    page.on('dialog', async (dialog) => {
      executions.push(`${dialog.type()}(${dialog.message()})`);
      await dialog.dismiss().catch(() => {});
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      const local = (url.protocol === 'http:' || url.protocol === 'https:')
        && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
      if (!local && url.protocol !== 'data:') foreign.push(request.url());
    });

    await signIn(page);
    // Load every case into the list.
    const more = page.getByRole('button', { name: 'Meer laden' });
    while (await more.isVisible()) {
      const rows = await page.locator('#case-rows tr').count();
      await more.click();
      await page.locator('#case-rows tr').nth(rows).waitFor();
    }
    assert.equal(await page.locator('#case-rows tr').count(), payloads.length, 'every seeded case is listed');

    const apiHeaders = { Authorization: 'Bearer staff-demo-token' };
    for (const [i, { case_id: id, reference }] of seeded.entries()) {
      const stored = await (await fetch(`${stack.baseUrl}/api/v1/cases/${id}`, { headers: apiHeaders })).json();
      const message = stored.messages[0];
      // The payload reached the page's data unchanged (a channel may store
      // text in Unicode NFC; the seeding tool enqueues it as given).
      const asSent = [payloads[i], payloads[i].normalize('NFC')];
      assert.ok(asSent.includes(message.subject), `subject of payload ${i} changed on the way: ${JSON.stringify(message.subject)}`);
      assert.ok(asSent.includes(message.text), `text of payload ${i} changed on the way: ${JSON.stringify(message.text)}`);

      // Enter on the case button (keyboard activation; no scrolling waits).
      await page.locator(`#case-rows button[data-case="${id}"]`).press('Enter');
      await page.locator('#case-title').getByText(reference, { exact: false }).waitFor();

      const shown = await page.evaluate(() => {
        const q = (s) => Array.from(document.querySelectorAll(s), (n) => n.textContent);
        return {
          title: document.getElementById('case-title').textContent,
          facts: document.getElementById('case-facts').textContent,
          subject: q('#conversation .balie-message--inbound .balie-message__subject'),
          text: q('#conversation .balie-message--inbound .balie-message__text'),
          party: q('#conversation .balie-message--inbound .balie-message__party'),
          attachments: q('#conversation .balie-attachments li'),
          transcript: q('#conversation .balie-transcript li span'),
          listButton: document.querySelector('#case-rows button[aria-current="true"]')?.textContent || '',
          // The channel icons are the page's own (a fixed path each); anything else is not allowed.
          unexpected: Array.from(document.querySelectorAll('#conversation *, #case-facts *, #case-title *, #case-rows *'))
            .filter((n) => !n.matches('#case-rows .balie-channel > svg.balie-channel__icon:not([id]), #case-rows svg.balie-channel__icon > path:only-child'))
            .map((n) => n.tagName.toLowerCase())
            .filter((t) => !['li', 'p', 'strong', 'span', 'time', 'ul', 'dt', 'dd', 'tr', 'th', 'td', 'button', 'details', 'summary', 'ol'].includes(t)),
        };
      });
      const where = `payload ${i} ${JSON.stringify(payloads[i])}`;
      assert.deepEqual(shown.unexpected, [], `${where}: the page created elements from resident text`);
      // The case subject is the resident's without reply prefixes or surrounding space: part of it, nothing added.
      assert.ok(message.subject.includes(stored.subject), `${where}: case subject ${JSON.stringify(stored.subject)}`);
      assert.equal(shown.title, `Zaak ${reference}: ${stored.subject}`, `${where}: case heading`);
      assert.deepEqual(shown.subject, [`Onderwerp: ${message.subject}`], `${where}: subject`);
      assert.deepEqual(shown.text, [message.text], `${where}: text`);
      assert.ok(shown.party[0]?.startsWith(`Van: ${message.resident.name}`), `${where}: resident name`);
      assert.ok(shown.facts.includes(message.resident.name), `${where}: resident name in the facts`);
      const shownName = visibleFilename(message.attachments[0].filename) || 'bijlage zonder naam';
      assert.deepEqual(shown.attachments, [`Download ${shownName} (${message.attachments[0].size} bytes)`], `${where}: filename`);
      assert.ok(shown.listButton.includes(message.subject), `${where}: subject in the case list`);
      if (i % 3 === 2) {
        assert.ok(message.transcript, `${where}: the API returned the transcript`);
        assert.deepEqual(shown.transcript, message.transcript.segments.map((s) => s.text), `${where}: transcript`);
      }
      assert.ok(await page.locator('#case-title').isVisible(), `${where}: case heading visible`);
    }

    assert.deepEqual(executions, [], 'payloads executed or tripped the CSP');
    assert.deepEqual(foreign, [], 'requests went to hosts other than the test server');
  } finally {
    await context.close();
  }
});
