// A confidential case on the staff page, by keyboard, against the real API:
// a phone call that names a BSN. A colleague whose token may not read
// confidential cases of the inbox sees the case in the list, said in words,
// and opens it to find that it exists and what to do — never the number,
// the text or the caller. A colleague who may read it sees it all, with the
// reminder to share it only with those who may. axe runs on both.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, sourceDir } from './support/stack.mjs';
import { axeViolations } from './support/axe.mjs';
import { signInByKeyboard } from './support/keyboard.mjs';

const COLLEAGUE = 'colleague-no-confidential-token';
const BSN = '111222333';  // passes the 11-proef; invented
let stack;
let dir;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'balie-confidential-'));
  const tokens = JSON.parse(await readFile(path.join(sourceDir(), 'config', 'dev-tokens.json'), 'utf8'));
  tokens.tokens.push({ name: 'demo-colleague', sha256: createHash('sha256').update(COLLEAGUE).digest('hex'), role: 'staff', inboxes: ['algemeen', 'telefoon'] });
  await writeFile(path.join(dir, 'tokens.json'), JSON.stringify(tokens));
  stack = await startStack({ config: { auth: { tokens_file: path.join(dir, 'tokens.json') } } });
});

after(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function confidentialCall() {
  const body = { call_id: 'call-vertrouwelijk', caller: '+31600000077',
    segments: [{ speaker: 'resident', start_ms: 0, end_ms: 3000, text: `Mijn burgerservicenummer is ${BSN}. Mijn uitkering is gestopt.` }] };
  const r = await fetch(`${stack.baseUrl}/api/v1/transcripts`, {
    method: 'POST', body: JSON.stringify(body), headers: { Authorization: 'Bearer system-demo-token', 'Content-Type': 'application/json' },
  });
  assert.equal(r.status, 202);
  return (await r.json()).case_id;
}

test('by keyboard: a colleague without the right sees that a confidential case exists and what to do, never what it says; one with the right reads it', async () => {
  const id = await confidentialCall();
  const { context, page } = await stack.newPage({ bypassCSP: true });
  try {
    await page.goto('/inbox/');
    await signInByKeyboard(page, COLLEAGUE);
    await page.getByRole('heading', { name: /^Zaken in / }).waitFor();
    await page.locator('#inbox-list button[data-inbox="telefoon"]').focus();
    await page.keyboard.press('Enter');
    const row = page.locator(`button[data-case="${id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /\(vertrouwelijk\)/);
    await page.locator('#case-rows', { hasText: 'U mag deze zaak niet lezen' }).waitFor();
    await row.focus();
    await page.keyboard.press('Enter');
    await page.locator('#case-title', { hasText: '(vertrouwelijk)' }).waitFor();
    await page.locator('#case-facts', { hasText: 'Verplaats hem naar een collega die dat wel mag' }).waitFor();
    const text = await page.locator('body').textContent();
    for (const secret of [BSN, 'uitkering', '+31600000077', '0600000077']) assert.ok(!text.includes(secret), `the page shows ${secret}`);
    assert.deepEqual(await axeViolations(page), []);
  } finally {
    await context.close();
  }

  const reader = await stack.newPage({ bypassCSP: true });
  try {
    await reader.page.goto('/inbox/');
    await signInByKeyboard(reader.page, 'staff-demo-token');
    await reader.page.getByRole('heading', { name: /^Zaken in / }).waitFor();
    await reader.page.locator('#inbox-list button[data-inbox="telefoon"]').focus();
    await reader.page.keyboard.press('Enter');
    const row = reader.page.locator(`button[data-case="${id}"]`);
    await row.focus();
    await reader.page.keyboard.press('Enter');
    await reader.page.locator('#conversation li.balie-message', { hasText: 'uitkering' }).waitFor();
    await reader.page.locator('#case-facts', { hasText: 'Deel de inhoud alleen met collega' }).waitFor();
    assert.deepEqual(await axeViolations(reader.page), []);
  } finally {
    await reader.context.close();
  }
});
