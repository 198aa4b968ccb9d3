// What a message puts in the search index and what a query asks of it:
// Dutch word forms meet, references and addresses are read in the notations
// people use, numbers that could be a BSN never become a key, and a snippet
// shows the words around the match.
#include "search/index_terms.hpp"
#include "search/search_query.hpp"
#include "search/snippet.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace balie;
using namespace balie::search;

namespace {

case_message letter(std::string text, std::string subject = {}) {
  case_message m;
  m.text = std::move(text);
  if (!subject.empty()) m.subject = std::move(subject);
  return m;
}

/// Whether a query's words all meet the message's tokens (what the index answers).
bool finds(std::string const& query, case_message const& m) {
  auto const q = read_search_query(query);
  auto const tokens = index_tokens(m);
  if (q.words.empty()) return false;
  return std::all_of(q.words.begin(), q.words.end(), [&](auto const& w) { return std::find(tokens.begin(), tokens.end(), w) != tokens.end(); });
}

} // namespace

TEST_CASE("Dutch word forms find each other: plural, verb forms, case, diacritics") {
  struct row {
    char const* text;
    char const* query;
  };
  // Each row: a resident's words, and what staff type to find them.
  for (auto const& [text, query] : {row{"De containers zijn niet geleegd.", "container"},
                                    row{"De container is niet geleegd.", "containers"},
                                    row{"Ik wil een parkeervergunning aanvragen.", "aanvraag"},
                                    row{"Mijn aanvraag voor een paspoort", "aanvragen"},
                                    row{"PASPOORT VERLOPEN", "paspoort verlopen"},
                                    row{"Mijn paspoort is verlopen", "Paspoort"},
                                    row{"Ik heb één vraag over de café-vergunning", "een cafe"},
                                    row{"Vragen over de WMO-indicatie", "wmo indicatie"},
                                    row{"De lantaarnpalen in onze straat branden niet", "lantaarnpaal"},
                                    row{"Wij betaalden te veel afvalstoffenheffing", "afvalstoffenheffing betaalde"}}) {
    std::string const t = text, q = query;
    INFO(t, " / ", q);
    CHECK(finds(q, letter(t)));
  }
  // And words that only look alike do not.
  CHECK_FALSE(finds("contract", letter("De containers zijn niet geleegd.")));
  CHECK_FALSE(finds("paspoorten kwijt", letter("Mijn rijbewijs is kwijt")));
}

TEST_CASE("the subject and the resident's name are searchable; common words and long numbers are not indexed") {
  auto m = letter("Mijn BSN is 123456782 en mijn rekening NL91ABNA0417164300. Huisnummer 12.", "Vraag over de huurtoeslag");
  m.resident.name = "Jan Jansen";
  auto const tokens = index_tokens(m);
  CHECK(finds("huurtoeslag", m));
  CHECK(finds("Jansen", m));
  CHECK(finds("jan", m));
  CHECK(finds("12", m));
  for (auto const& t : tokens) {
    INFO(t);
    CHECK(t.find("123456782") == std::string::npos);
    CHECK(t.find("0417164300") == std::string::npos);
  }
  for (auto const* stop : {"w:de", "w:mijn", "w:en", "w:is"}) CHECK(std::find(tokens.begin(), tokens.end(), stop) == tokens.end());
  CHECK(read_search_query("de het een").words.empty());
  auto const long_text = letter(std::string(50'000, 'a') + " " + [] {
    std::string s;
    for (int i = 0; i < 5000; ++i) s += "woord" + std::to_string(i % 3000) + "x ";
    return s;
  }());
  CHECK(index_tokens(long_text).size() == max_tokens);
}

TEST_CASE("a reference is read in the notations people use") {
  for (auto const* typed : {"BL-MZFZ8T", "bl-mzfz8t", "BL MZFZ8T", " BL-MZFZ8T ", "MZFZ8T", "mzfz8t", "BLMZFZ8T"}) {
    INFO(typed);
    auto const q = read_search_query(typed);
    REQUIRE(q.reference);
    CHECK(*q.reference == "BL-MZFZ8T");
    CHECK_FALSE(q.address);
  }
  // Crockford's base 32: an O is read as a zero, an I or L as a one.
  CHECK(read_search_query("BL-OA1LI9").reference == "BL-0A1119");
  // With the prefix and a separator it is a reference only; six letters are also a word.
  CHECK(read_search_query("BL-MZFZ8T").words.empty());
  auto const both = read_search_query("straat");
  CHECK(both.reference == "BL-STRAAT");
  CHECK(both.words.size() == 1);
  CHECK_FALSE(read_search_query("BL-MZFZ8").reference);
  CHECK_FALSE(read_search_query("BL-MZFZ8U").reference);  // U is not in the alphabet
  CHECK_FALSE(read_search_query("paspoort").reference);
}

TEST_CASE("an address is read in every notation and meets the address the message carries") {
  case_message m;
  m.resident.addresses = {{"phone", "+31600000001"}, {"email", "J.Jansen@Gemeente.test"}};
  auto const tokens = index_tokens(m);
  auto has = [&](std::string const& typed) {
    auto const q = read_search_query(typed);
    INFO(typed);
    REQUIRE(q.address);
    CHECK(q.words.empty());
    return std::find(tokens.begin(), tokens.end(), *q.address) != tokens.end();
  };
  for (auto const* typed : {"+31600000001", "+31 6 00000001", "06-00000001", "0600000001", "06 000 000 01", "0031600000001", "(06) 00000001"})
    CHECK(has(typed));
  for (auto const* typed : {"j.jansen@gemeente.test", "J.JANSEN@GEMEENTE.TEST", " j.jansen@gemeente.test "}) CHECK(has(typed));
  CHECK_FALSE(has("+31600000002"));
  CHECK_FALSE(has("p.jansen@gemeente.test"));
  // Matrix IDs are addresses too; digits that are no phone number are nothing.
  CHECK(read_search_query("@jan:matrix.gemeente.test").address);
  auto const digits = read_search_query("123456782");
  CHECK_FALSE(digits.address);
  CHECK(digits.words.empty());
  // No address appears in a token.
  for (auto const& t : tokens) CHECK(t.find("jansen") == std::string::npos);
}

TEST_CASE("a snippet shows the words around the first match, on one line, cut at words") {
  std::string const text = "Beste gemeente,\n\nIk woon al twintig jaar in de Dorpsstraat. Sinds vorige week worden de containers "
                           "bij ons niet meer geleegd. Kunt u daar iets aan doen?\n\nMet vriendelijke groet";
  auto const s = snippet(text, read_search_query("container").stems, 60);
  REQUIRE(s);
  CHECK(s->find("containers") != std::string::npos);
  CHECK(s->find('\n') == std::string::npos);
  CHECK(s->starts_with("\xE2\x80\xA6"));
  CHECK(s->ends_with("\xE2\x80\xA6"));
  CHECK(s->size() <= 60 + 2 * 3);
  CHECK_FALSE(snippet(text, read_search_query("paspoort").stems));
  // Diacritics and case fold; the text shown is the resident's own.
  auto const accents = snippet("Één vraag over het Café", read_search_query("cafe").stems);
  REQUIRE(accents);
  CHECK(*accents == "Één vraag over het Café");
  CHECK(first_line("\n\n  Mijn afvalbak   is niet geleegd.\nTweede regel") == "Mijn afvalbak is niet geleegd.");
  auto const cut = first_line(std::string(30, 'a') + " " + std::string(200, 'b'), 120);
  CHECK(cut == std::string(30, 'a') + "\xE2\x80\xA6");
}
