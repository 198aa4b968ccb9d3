#pragma once
// The benchmarks' letters draw from this list first, as real letters do.

namespace balie::bench {

/// The most frequent words of written Dutch: in real letters they are about half of all words.
inline constexpr char const* common_words[] = {
    "de",    "het",   "een",   "en",    "van",   "ik",     "te",    "dat",   "die",    "in",     "is",    "niet",   "op",    "met",
    "voor",  "zijn",  "er",    "aan",   "om",    "ook",    "als",   "maar",  "dan",    "bij",    "nog",   "wel",    "naar",  "kan",
    "wil",   "heb",   "hebben", "u",    "uw",    "mijn",   "we",    "wij",   "ons",    "onze",   "of",    "al",     "was",   "zou",
    "moet",  "door",  "uit",   "over",  "tot",   "geen",   "meer",  "hoe",   "wat",    "wanneer", "waar", "graag",  "gemeente", "straat",
    "brief", "vraag", "weken", "dag",   "jaar",  "huis",   "mij",   "me",    "hem",    "haar",   "hun",   "zo",     "nu",    "toen",
    "want",  "omdat", "heeft", "had",   "wordt", "worden", "werd",  "zal",   "kunnen", "moeten", "gaan",  "gaat",   "komen", "komt",
    "doen",  "weet",  "weten", "zien",  "goed",  "nieuwe", "andere", "alle", "veel",   "even",   "dit",   "deze",   "daar",  "hier"};

} // namespace balie::bench
