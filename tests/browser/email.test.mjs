// Email cases in the staff inbox, from a mail delivered over LMTP to the real
// balied: each file is a download button named in words ("Download
// paspoort.pdf (5 kB)"), activated with the keyboard it saves exactly the
// stored bytes (and opens nothing in the page), the original mail is called
// what it is, a file that is gone gives a plain Dutch message, machine-written
// messages say "Automatisch bericht" (Balie's receipt "… ontvangstbevestiging",
// an out-of-office reply that it needs no answer), a mail that was hard to
// read gets a plain notice without raw codes, and axe finds no violations on
// these views.
// The people are invented (burger.test, gemeente.test).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startStack } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { inboundMessage, signIn } from './support/fixtures.mjs';
import { crlf, deliverMail, emailConfig, lmtpPort } from './support/lmtp.mjs';


// A "PDF" of 5000 bytes holding every byte value, so any re-encoding shows.
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 5000 - 9 }, (_, i) => (i * 37 + 11) % 256))]);
const LONG_NAME = 'aanvraagformulier-nieuw-paspoort-en-identiteitskaart-gemeente-voorbeeld-2026-definitief.docx';
const LONG_FILE = Buffer.from('Dit is een voorbeeldformulier.\n'.repeat(40));

const base64Lines = (buf) => buf.toString('base64').match(/.{1,76}/g);
const unique = `${process.pid}.${Date.now()}`;

// A resident's mail: an 8-bit body without a charset (parse warning
// "charset-guessed") and two files.
const RESIDENT_MAIL = crlf([
  'From: Jan Jansen <jan.jansen@burger.test>',
  'To: info@gemeente.test',
  'Subject: Aanvraag nieuw paspoort',
  `Date: ${new Date().toUTCString()}`,
  `Message-ID: <paspoort.${unique}@burger.test>`,
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="grens-paspoort"',
  '',
  '--grens-paspoort',
  'Content-Type: text/plain',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Goedemiddag,',
  '',
  'Mijn paspoort is verlopen. Ik stuur een scan mee en het formulier.',
  'Kan ik een afspraak maken? Ik ben overdag in mijn café.',
  '',
  'Met vriendelijke groet,',
  'Jan Jansen',
  '',
  '--grens-paspoort',
  'Content-Type: application/pdf; name="paspoort.pdf"',
  'Content-Disposition: attachment; filename="paspoort.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  ...base64Lines(PDF),
  '',
  '--grens-paspoort',
  'Content-Type: application/octet-stream',
  `Content-Disposition: attachment; filename="${LONG_NAME}"`,
  'Content-Transfer-Encoding: base64',
  '',
  ...base64Lines(LONG_FILE),
  '',
  '--grens-paspoort--',
]);

// An out-of-office reply: written by a machine, not by the resident.
const AUTO_REPLY = crlf([
  'From: Petra de Boer <petra.deboer@burger.test>',
  'To: info@gemeente.test',
  'Subject: Automatisch antwoord: Uw melding',
  `Date: ${new Date().toUTCString()}`,
  `Message-ID: <afwezig.${unique}@burger.test>`,
  'Auto-Submitted: auto-replied',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Ik ben afwezig tot en met 5 december. Uw e-mail wordt niet doorgestuurd.',
]);

let stack;
let residentRef;
let autoRef;
let truncatedRef;
let goneRef;

before(async () => {
  stack = await startStack({ config: emailConfig });
  const port = await lmtpPort(stack);
  const refOf = (reply) => reply.match(/Stored as (BL-[0-9A-Z]{6})/)?.[1];
  residentRef = refOf(await deliverMail(port, { from: 'jan.jansen@burger.test', to: 'info@gemeente.test', data: RESIDENT_MAIL }));
  autoRef = refOf(await deliverMail(port, { from: 'petra.deboer@burger.test', to: 'info@gemeente.test', data: AUTO_REPLY }));
  assert.ok(residentRef && autoRef, 'balied stored both mails and named their cases');
  const [truncated, gone] = await stack.seed([
    inboundMessage({ channel: 'email', subject: 'Een heel lange e-mail', name: 'Karin Smit', address: 'karin.smit@burger.test',
      text: 'Het begin van een heel lange e-mail.', parseWarnings: ['text-truncated'] }),
    // The seeded digest names no stored file: the download must fail politely.
    inboundMessage({ channel: 'email', subject: 'Bijlage die er niet meer is', name: 'Lars Mulder', address: 'lars.mulder@burger.test',
      attachments: [{ filename: 'verdwenen.pdf', content_type: 'application/pdf', size: 2048 }] }),
  ]);
  truncatedRef = truncated.reference;
  goneRef = gone.reference;
});

after(async () => {
  await stack?.stop();
});


async function openCase(page, reference) {
  await page.locator('#case-rows button', { hasText: reference }).click();
  await page.locator('#case-title').getByText(reference, { exact: false }).waitFor();
  await page.locator('#conversation .balie-message').first().waitFor();
}

/** Records every text the status line shows, including short-lived ones. */
async function recordStatus(page) {
  await page.evaluate(() => {
    window.balieStatusLog = [];
    const node = document.getElementById('status');
    new MutationObserver(() => { if (node.textContent) window.balieStatusLog.push(node.textContent); })
      .observe(node, { childList: true, characterData: true, subtree: true });
  });
}

const statusLog = (page) => page.evaluate(() => window.balieStatusLog);

/** The case id behind a reference, from the staff API. */
async function caseIdOf(reference) {
  const res = await fetch(`${stack.baseUrl}/api/v1/inboxes/algemeen/cases?limit=100`, { headers: { Authorization: 'Bearer staff-demo-token' } });
  const found = (await res.json()).cases.find((c) => c.reference === reference);
  assert.ok(found, `case ${reference} is listed`);
  return found.id;
}

test('each file is a download button named in words; Enter saves exactly the stored bytes and opens nothing', async () => {
  // The page's real CSP (no bypassCSP): the download must work within it.
  const { context, page } = await stack.newPage();
  const violations = [];
  try {
    await page.exposeFunction('balieCspViolation', (what) => { violations.push(what); });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => window.balieCspViolation(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await signIn(page);
    await openCase(page, residentRef);
    await recordStatus(page);
    const inbound = page.locator('#conversation .balie-message--inbound');

    const pdf = inbound.getByRole('button', { name: 'Download paspoort.pdf (5 kB)', exact: true });
    await pdf.waitFor();
    await inbound.getByRole('button', { name: `Download ${LONG_NAME} (1 kB)`, exact: true }).waitFor();
    const original = inbound.getByRole('button', { name: /^Download originele e-mail \(bericht\.eml, \d+ kB\)$/ });
    await original.waitFor();
    assert.deepEqual(await inbound.locator('.balie-attachments button').evaluateAll((bs) => bs.map((b) => b.type)),
      ['button', 'button', 'button'], 'real buttons, never submitting anything');

    // Keyboard only: focus the button and press Enter.
    await pdf.focus();
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.equal(download.suggestedFilename(), 'paspoort.pdf');
    const saved = await readFile(await download.path());
    assert.ok(saved.equals(PDF), `the saved file differs from the sent one (${saved.length} bytes, expected ${PDF.length})`);
    await page.locator('#status').getByText('Het bestand paspoort.pdf is gedownload.', { exact: true }).waitFor();
    const said = await statusLog(page);
    assert.ok(said.includes('Bezig met downloaden…'), `the status line said "Bezig met downloaden…" first: ${JSON.stringify(said)}`);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Download paspoort.pdf (5 kB)', 'focus stays on the button');

    // The original mail: the bytes as they arrived over LMTP.
    await original.focus();
    const [eml] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.equal(eml.suggestedFilename(), 'bericht.eml');
    const raw = await readFile(await eml.path());
    assert.equal(raw.toString('latin1').replace(/(\r\n)+$/, ''), Buffer.from(RESIDENT_MAIL).toString('latin1').replace(/(\r\n)+$/, ''),
      'bericht.eml is the mail as delivered');
    await page.locator('#status').getByText('De originele e-mail is gedownload.', { exact: true }).waitFor();

    assert.equal(context.pages().length, 1, 'no file opened in a tab or window');
    assert.equal(new URL(page.url()).pathname, '/inbox/', 'the page never navigated to a file');
    assert.deepEqual(violations, [], 'no CSP violation');

    // A live update redraws the conversation: focus and the opened details stay.
    await inbound.locator('.balie-parse-notice summary').click();
    await pdf.focus();
    const note = await fetch(`${stack.baseUrl}/api/v1/cases/${await caseIdOf(residentRef)}/notes`, {
      method: 'POST',
      headers: { Authorization: 'Bearer staff-demo-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Scan ontvangen, afspraak volgt.' }),
    });
    assert.equal(note.status, 201);
    await page.locator('#conversation .balie-note').getByText('Scan ontvangen, afspraak volgt.').waitFor({ timeout: 10000 });
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Download paspoort.pdf (5 kB)', 'focus survived the redraw');
    assert.equal(await inbound.locator('.balie-parse-notice details').evaluate((d) => d.open), true, 'the details stayed open');
  } finally {
    await context.close();
  }
});

test('a file Balie no longer has: the status line says so in plain Dutch and nothing is saved', async () => {
  const { context, page } = await stack.newPage();
  let downloads = 0;
  try {
    page.on('download', () => { downloads += 1; });
    await signIn(page);
    await openCase(page, goneRef);
    const button = page.getByRole('button', { name: 'Download verdwenen.pdf (2 kB)', exact: true });
    await button.click();
    await page.locator('#status')
      .getByText('Het bestand verdwenen.pdf kon niet worden gedownload. Balie bewaart het niet meer.', { exact: true }).waitFor();
    assert.equal(downloads, 0);
    // A second try is possible: the button did not get stuck.
    await button.click();
    await page.locator('#status').getByText('kon niet worden gedownload', { exact: false }).waitFor();
  } finally {
    await context.close();
  }
});

test('the subject, a plain notice for a hard-to-read mail (codes folded away) and "Automatisch bericht" on machine-written messages', async () => {
  const { context, page } = await stack.newPage();
  try {
    await signIn(page);
    await openCase(page, residentRef);
    const inbound = page.locator('#conversation .balie-message--inbound');
    await inbound.locator('.balie-message__subject').getByText('Onderwerp: Aanvraag nieuw paspoort', { exact: true }).waitFor();
    const notice = inbound.locator('.balie-parse-notice');
    await notice.getByText('Deze e-mail was niet helemaal goed te lezen. Open de originele e-mail als iets vreemd lijkt.', { exact: true }).waitFor();
    assert.equal(await notice.getByText('De tekst is ingekort', { exact: false }).count(), 0, 'the text was not cut off');
    // The subject comes before the notice (after how routing placed the mail), the notice before the text.
    assert.deepEqual(await inbound.locator(':scope > *').evaluateAll((ns) => ns.map((n) => n.className).slice(0, 6)),
      ['balie-message__meta', 'balie-message__party', 'balie-message__subject', 'balie-message__routing',
        'utrecht-alert utrecht-alert--warning balie-parse-notice', 'balie-message__text']);
    const code = notice.getByText('charset-guessed', { exact: true });
    assert.equal(await code.isVisible(), false, 'the raw code is folded away');
    await notice.getByText('Technische details voor de beheerder').click();
    assert.equal(await code.isVisible(), true, 'the code is there for the administrator');

    // The resident wrote their mail: no label. Balie's receipt is labelled.
    assert.equal(await inbound.locator('.balie-auto').count(), 0, 'the resident\'s own mail is not called automatic');
    const receipt = page.locator('#conversation .balie-message--outbound');
    await receipt.locator('.balie-auto').getByText('Automatisch bericht van Balie: ontvangstbevestiging', { exact: true }).waitFor();
    assert.match(await receipt.locator('.balie-auto').textContent(), /niet een medewerker/);

    // An out-of-office reply is not the resident's own words.
    await openCase(page, autoRef);
    const auto = page.locator('#conversation .balie-message--inbound');
    await auto.locator('.balie-auto').getByText('Automatisch bericht', { exact: true }).waitFor();
    assert.match(await auto.locator('.balie-auto').textContent(), /hier hoeft u niet op te reageren\. Dit zijn niet de woorden van de inwoner\./);
    assert.equal(await auto.locator('.balie-parse-notice').count(), 0, 'a well-formed mail gets no notice');

    // Cut-off text: only that sentence (the mail itself read fine).
    await openCase(page, truncatedRef);
    const cut = page.locator('#conversation .balie-message--inbound .balie-parse-notice');
    await cut.getByText('De tekst is ingekort. De hele e-mail staat in de bijlage.', { exact: true }).waitFor();
    assert.equal(await cut.getByText('niet helemaal goed te lezen', { exact: false }).count(), 0);
  } finally {
    await context.close();
  }
});

test('the email case views have no axe violations (WCAG 2.x A and AA), also at 320 px without sideways scrolling', async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 320, height: 640 }]) {
    const { context, page } = await stack.newPage({ bypassCSP: true, viewport });
    try {
      await signIn(page);
      await openCase(page, residentRef);
      await page.locator('#conversation .balie-parse-notice summary').click();
      await page.getByText('charset-guessed', { exact: true }).waitFor();
      assert.deepEqual(await axeViolations(page), [], `resident's mail at ${viewport.width} px`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `page scrolls sideways by ${overflow} px at ${viewport.width} px`);
      await openCase(page, autoRef);
      await page.locator('#conversation .balie-auto').first().waitFor();
      assert.deepEqual(await axeViolations(page), [], `out-of-office reply at ${viewport.width} px`);
    } finally {
      await context.close();
    }
  }
});
