// The staff page's plain-language hints (web/inbox/plain-language.js) against
// the table the API's hints on saved replies are checked with too
// (tests/fixtures/plain-language.json): both give the same hints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = process.env.BALIE_SOURCE_DIR || fileURLToPath(new URL('../..', import.meta.url));
const { plainLanguageHints } = await import(pathToFileURL(path.join(root, 'web/inbox/plain-language.js')));
const jargon = JSON.parse(await readFile(path.join(root, 'web/inbox/jargon-nl.json'), 'utf8')).words;
const table = JSON.parse(await readFile(path.join(root, 'tests/fixtures/plain-language.json'), 'utf8')).cases;

const named = (h) => (h.kind === 'sentence' ? `sentence:${h.words}` : `${h.kind}:${h.word}`);

test('every row of the shared table gives exactly its hints', () => {
  for (const row of table) {
    assert.deepEqual(plainLanguageHints(row.text, jargon).map(named).sort(), [...row.hints].sort(), row.text);
  }
});

test('the saved replies Balie ships are plain language and give the human route', async () => {
  const { replies } = JSON.parse(await readFile(path.join(root, 'config/saved-replies-nl.json'), 'utf8'));
  assert.ok(replies.length >= 6);
  for (const r of replies) {
    for (const [language, text] of Object.entries(r.text)) {
      if (language === 'nl') assert.deepEqual(plainLanguageHints(text, jargon), [], `${r.id}: plain Dutch`);
      assert.match(text, /\{telefoonnummer\}/u, `${r.id} (${language}): the way to a person`);
    }
  }
});
