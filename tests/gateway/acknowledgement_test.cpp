// The acknowledgement's words with the clock injected: the answer-by day
// worked out from an inbox's hours across a weekend and the Christmas
// holidays, outside opening hours, with a channel switched off, in English,
// as an SMS; and every resource text at B1 level by the staff page's own
// rule (sentences of at most 15 words, no word from the officialese list).
#include "channels/sms_segments.hpp"
#include "gateway/acknowledgements.hpp"
#include "gateway/promises.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>

using namespace balie;
using namespace balie::gateway;

namespace {

struct amsterdam {
  amsterdam() {
    setenv("TZ", "Europe/Amsterdam", 1);
    tzset();
  }
};

/// An instant written in UTC (Amsterdam is UTC+1 in winter).
timestamp utc(int month, int day, int hour, int minute = 0) {
  using namespace std::chrono;
  return sys_days{year{2026} / month / day} + hours(hour) + minutes(minute);
}

std::shared_ptr<channels::resident_texts const> shipped_texts() {
  return std::make_shared<channels::resident_texts const>(channels::resident_texts::load(std::string(BALIE_SOURCE_DIR) + "/config/texts"));
}

channels::acknowledgement_text acknowledge(timestamp received, std::string const& language = "nl",
                                           channels::acknowledgement_form form = channels::acknowledgement_form::letter,
                                           std::optional<std::string> notice = std::nullopt) {
  promises const p({inbox_config{"algemeen", "Algemeen", calendar::default_service_hours(), "", ""}});
  auto const made = p.for_message("algemeen", received);
  channels::acknowledgement_request r;
  r.form = form;
  r.language = language;
  r.reference = "BL-7K3M9Q";
  r.answer_by = made.promise.answer_by;
  r.outside_hours = made.outside_hours;
  r.switched_off_notice = std::move(notice);
  return acknowledgement_writer_for(shipped_texts())(r);
}

bool has(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_CASE("the acknowledgement names the reference, the answer-by day from the inbox's hours, and the human route") {
  amsterdam const tz;
  // Friday 4 December 15:00: two working days after Friday are Monday and Tuesday.
  auto const friday = acknowledge(utc(12, 4, 14));
  CHECK(friday.subject == "Wij hebben uw bericht ontvangen [BL-7K3M9Q]");
  CHECK(has(friday.text, "Uw bericht heeft het nummer BL-7K3M9Q."));
  CHECK(has(friday.text, "Een medewerker antwoordt u uiterlijk dinsdag 8 december."));
  CHECK(has(friday.text, "Bel 14 en uw netnummer."));
  CHECK(has(friday.text, "Teletolk"));
  CHECK(!has(friday.text, "openingstijden"));  // it came in during opening hours
  CHECK(friday.rule == "acknowledgement");
  // Thursday 24 December 10:00: Christmas (25 and 26) and the weekend pass; Monday 28 and Tuesday 29 count.
  CHECK(has(acknowledge(utc(12, 24, 9)).text, "uiterlijk dinsdag 29 december."));
  // Saturday 5 December: outside opening hours, and it says so.
  auto const saturday = acknowledge(utc(12, 5, 11));
  CHECK(has(saturday.text, "U schreef ons buiten onze openingstijden."));
  CHECK(has(saturday.text, "uiterlijk dinsdag 8 december."));
  // Friday 4 December 23:30 UTC is already Saturday 00:30 in Amsterdam.
  CHECK(has(acknowledge(utc(12, 4, 23, 30)).text, "buiten onze openingstijden"));
}

TEST_CASE("the acknowledgement in English, as an SMS, and on a channel that is switched off") {
  amsterdam const tz;
  auto const english = acknowledge(utc(12, 4, 14), "en");
  CHECK(english.subject == "We have received your message [BL-7K3M9Q]");
  CHECK(has(english.text, "A member of staff will answer you by Tuesday 8 December at the latest."));
  auto const sms = acknowledge(utc(12, 4, 14), "nl", channels::acknowledgement_form::short_text);
  CHECK(!sms.subject);
  CHECK(has(sms.text, "Uw nummer is BL-7K3M9Q. U krijgt uiterlijk dinsdag 8 december antwoord."));
  CHECK(has(sms.text, "Bel 14"));
  CHECK(sms_segments(sms.text).segments <= 2);
  auto const off = acknowledge(utc(12, 4, 14), "nl", channels::acknowledgement_form::letter, "De e-mail is tot maandag dicht.");
  CHECK(has(off.text, "De e-mail is tot maandag dicht. Wij hebben uw bericht wel bewaard."));
  CHECK(has(off.text, "uiterlijk dinsdag 8 december"));
  CHECK(off.rule == "switched-off-notice");
}

TEST_CASE("every text Balie writes to residents is plain Dutch (B1): short sentences, no officialese") {
  // The staff page's rule (web/inbox/inbox.js plainLanguageHints): a sentence ends at . ! ? or an empty line.
  constexpr std::size_t max_words = 15;
  std::ifstream jargon_file(std::string(BALIE_SOURCE_DIR) + "/web/inbox/jargon-nl.json");
  auto const jargon = nlohmann::json::parse(jargon_file)["words"];
  REQUIRE(jargon.size() > 10);
  std::ifstream texts_file(std::string(BALIE_SOURCE_DIR) + "/config/texts/nl.json");
  auto const texts = nlohmann::json::parse(texts_file);
  REQUIRE(texts.size() >= 14);
  std::regex const sentence_end(R"((?:[.!?]\s+)|(?:\n\s*\n))");
  std::regex const word(R"([^\s]*[A-Za-z0-9À-ÿ][^\s]*)");
  for (auto const& item : texts.items()) {
    std::string const key = item.key();  // (clang 14 cannot capture structured bindings in INFO)
    // Variables filled in as they would be.
    auto text = std::regex_replace(item.value().get<std::string>(), std::regex(R"(\{reference\})"), "BL-7K3M9Q");
    text = std::regex_replace(text, std::regex(R"(\{answer_by\})"), "dinsdag 8 december");
    text = std::regex_replace(text, std::regex(R"(\{(situation|human_route|notice)\})"), "");
    for (std::sregex_token_iterator s(text.begin(), text.end(), sentence_end, -1), end; s != end; ++s) {
      std::string const sentence = *s;
      auto const words = std::distance(std::sregex_iterator(sentence.begin(), sentence.end(), word), std::sregex_iterator());
      INFO(key << ": " << sentence);
      CHECK(static_cast<std::size_t>(words) <= max_words);
    }
    std::string lower;
    for (char c : text) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    for (auto const& entry : jargon.items()) {
      std::string const term = entry.key(), simpler = entry.value().get<std::string>();
      INFO(key << " uses '" << term << "': write '" << simpler << "'");
      CHECK(!std::regex_search(lower, std::regex("(^|[^a-z])" + term + "([^a-z]|$)")));
    }
  }
}
