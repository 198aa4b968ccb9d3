// Plain-language (B1) hints on a staff text: a sentence of more than 15
// words, an officialese word with its simpler one (jargon-nl.json), and a
// passive sentence ("uw aanvraag wordt behandeld": who does what?). Balie's
// API gives the same hints when an admin saves a saved reply
// (gateway/plain_language.cpp); both are checked against one table,
// tests/fixtures/plain-language.json. Hints never block anything.

export const MAX_SENTENCE_WORDS = 15;

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bare = (w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').toLowerCase();

/** A past participle as Dutch forms most: ge…d/t/en, or be-, ver-, ont-, her-, er- …d/t. */
function isParticiple(w) {
  if (w.length >= 6 && w.startsWith('ge') && /(d|t|en)$/u.test(w)) return true;
  return ['be', 'ver', 'ont', 'her', 'er'].some((p) => w.length >= p.length + 4 && w.startsWith(p) && /[dt]$/u.test(w));
}

/** "wordt/worden/werd/werden … participle", or "is/zijn/was/waren … participle … door": the helper verb and participle. */
function passive(words) {
  let helper = '';
  let strong = false;
  let door = false;
  let found = '';
  for (const w of words.map(bare)) {
    if (['wordt', 'worden', 'werd', 'werden'].includes(w)) { helper = w; strong = true; }
    else if (!helper && ['is', 'zijn', 'was', 'waren'].includes(w)) helper = w;
    else if (w === 'door') door = true;
    else if (helper && !found && isParticiple(w)) found = w;
  }
  return found && (strong || door) ? `${helper} ${found}` : '';
}

/** Hints for a text: [{kind:'sentence', words, start} | {kind:'jargon', word, suggestion} | {kind:'passive', word, start}]. */
export function plainLanguageHints(text, jargon = {}) {
  const hints = [];
  // A sentence ends at . ! ? or an empty line.
  const sentences = text.split(/(?<=[.!?])\s+|\n\s*\n/u).map((s) => s.split(/\s+/u).filter((w) => /[\p{L}\p{N}]/u.test(w)));
  for (const words of sentences) {
    if (words.length > MAX_SENTENCE_WORDS) hints.push({ kind: 'sentence', words: words.length, start: words.slice(0, 5).join(' ') });
  }
  const seen = new Set();
  for (const [term, suggestion] of Object.entries(jargon)) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(term).replace(/ /g, '\\s+')}(?![\\p{L}\\p{N}])`, 'iu');
    if (!seen.has(term) && pattern.test(text)) {
      seen.add(term);
      hints.push({ kind: 'jargon', word: term, suggestion });
    }
  }
  for (const words of sentences) {
    const p = passive(words);
    if (p) hints.push({ kind: 'passive', word: p, start: words.slice(0, 5).join(' ') });
  }
  return hints;
}
