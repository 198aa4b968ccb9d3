#include "routing/dutch_words.hpp"
#include "routing/router.hpp"

#include <doctest/doctest.h>

#include <random>
#include <thread>

using namespace balie;

TEST_CASE("routing by channel, with the default inbox for everything else") {
  routing::router r({"algemeen", {{channel::phone, "telefoon"}}, {}});
  case_message phone;
  phone.channel = channel::phone;
  case_message email;
  email.channel = channel::email;
  auto const a = r.route(phone);
  CHECK(a.inbox == "telefoon");
  CHECK(a.rule == "channel:phone");
  CHECK(a.priority == priority::normal);
  auto const b = r.route(email);
  CHECK(b.inbox == "algemeen");
  CHECK(b.rule == "default");
}

namespace {

using nlohmann::json;

std::vector<routing::rule_config> rules_from(json const& list) {
  json const section = {{"rules", list}};
  channels::object_reader r(section, "/routing");
  return routing::read_rules(r, {"algemeen", "afval", "burgerzaken", "toegankelijk", "vertrouwelijk", "telefoon"});
}

std::string rules_error(json const& list) {
  try {
    rules_from(list);
  } catch (channels::config_error const& e) {
    return e.what();
  }
  return {};
}

json const municipal_rules = json::array({
    {{"name", "toegankelijk"}, {"match", {{"needs", {"text-relay", "sign-language", "screen-reader", "callback", "plain-language"}}}},
     {"inbox", "toegankelijk"}, {"priority", "high"}},
    {{"name", "bsn"}, {"match", {{"possible_bsn", true}}}, {"inbox", "vertrouwelijk"}},
    {{"name", "afval"}, {"match", {{"words", {"afval", "grofvuil", "container", "vuilnisbak"}}}}, {"inbox", "afval"}, {"topic", "afval"}},
    {{"name", "reisdocument"}, {"match", {{"words", {"paspoort", "rijbewijs", "identiteitskaart", "aanvraag"}}}}, {"inbox", "burgerzaken"},
     {"topic", "reisdocumenten"}},
    {{"name", "engels-per-sms"}, {"match", {{"channels", {"sms"}}, {"languages", {"eng"}}}}, {"inbox", "algemeen"}, {"topic", "english"}},
});

} // namespace

TEST_CASE("routing rules: Dutch word forms, needs, BSN, channel and language, as a table; the first rule that matches decides") {
  routing::router r({"algemeen", {{channel::phone, "telefoon"}}, rules_from(municipal_rules)});
  struct row {
    std::string subject, text;
    channel via = channel::email;
    std::vector<resident_need> needs;
    bool bsn = false;
    std::string language = "nld";
    std::string inbox, rule, topic;
    priority level = priority::normal;
  };
  std::vector<row> const table = {
      {"", "De containers zijn niet geleegd", channel::email, {}, false, "nld", "afval", "afval", "afval"},
      {"Containers", "", channel::email, {}, false, "nld", "afval", "afval", "afval"},
      {"", "mijn CONTAINER staat nog vol", channel::webchat, {}, false, "nld", "afval", "afval", "afval"},
      {"", "Er ligt grofvuil op de stoep.", channel::sms, {}, false, "nld", "afval", "afval", "afval"},
      {"", "Ik wil paspoorten aanvragen voor mijn kinderen", channel::email, {}, false, "nld", "burgerzaken", "reisdocument", "reisdocumenten"},
      {"Aanvraag rijbewijs", "", channel::email, {}, false, "nld", "burgerzaken", "reisdocument", "reisdocumenten"},
      {"", "Wanneer is het stadhuis open?", channel::email, {}, false, "nld", "algemeen", "default", ""},
      {"", "Wanneer is het stadhuis open?", channel::phone, {}, false, "nld", "telefoon", "channel:phone", ""},
      // Needs come first: a resident who needs Teletolk goes to the team that can call back that way.
      {"", "De container is kapot", channel::phone, {resident_need::text_relay}, false, "nld", "toegankelijk", "toegankelijk", "", priority::high},
      {"", "Mijn BSN is ...", channel::email, {}, true, "nld", "vertrouwelijk", "bsn", ""},
      {"", "When is the town hall open?", channel::sms, {}, false, "eng", "algemeen", "engels-per-sms", "english"},
      {"", "When is the town hall open?", channel::email, {}, false, "eng", "algemeen", "default", ""},
      // Not a word of its own: "containerpark" is not "container", "afvalligheid" is not "afval".
      {"", "Het containerpark is dicht", channel::email, {}, false, "nld", "algemeen", "default", ""},
  };
  for (auto const& t : table) {
    case_message m;
    m.channel = t.via;
    if (!t.subject.empty()) m.subject = t.subject;
    m.text = t.text;
    m.resident.needs = t.needs;
    m.resident.language = t.language;
    m.classification.possible_bsn = t.bsn;
    auto const got = r.route(m);
    INFO(t.subject << " | " << t.text);
    CHECK(got.inbox == t.inbox);
    CHECK(got.rule == t.rule);
    CHECK(got.topic.value_or("") == t.topic);
    CHECK(got.priority == t.level);
  }
}

TEST_CASE("Dutch word stems: case, diacritics and word forms fold together; punctuation splits") {
  using routing::word_stems;
  CHECK(word_stems("containers") == word_stems("Container"));
  CHECK(word_stems("aanvragen") == word_stems("aanvraag"));
  CHECK(word_stems("Één paspoort") == word_stems("een paspoorten"));
  CHECK(word_stems("“grofvuil”, alstublieft!") == std::vector<std::string>{word_stems("grofvuil")[0], word_stems("alstublieft")[0]});
  CHECK(word_stems("").empty());
  CHECK(word_stems("  -- !! ").empty());
}

TEST_CASE("a stem keeps its word's opening: the router skips words that begin with no rule stem's core") {
  // routing/rule_words.hpp relies on this property of Snowball's Dutch stemmer; a stemmer
  // upgrade that broke it would make rules miss words, so it is checked over real word
  // forms (every step of the stemmer) and thousands of made-up Dutch-shaped words.
  std::vector<std::string> words = {
      "maan",        "brood",         "heden",        "mogelijkheden", "vriendelijk",   "vriendelijkheid", "aanvragen",  "aanvraag",
      "containers",  "gemeenten",     "paspoorten",   "rijbewijzen",   "parkeervergunningen", "lantaarnpalen", "gebeurtenissen", "kinderen",
      "huizen",      "mooiste",       "leuke",        "vrijheid",      "wandelingen",   "heerlijkheden",   "uitbetaling", "eigenaar",
      "bereikbaar",  "vergaderingen", "lopen",        "zeeen",         "ideeen",        "naief",           "koninkrijk",  "baby",
      "yoghurt",     "haaien",        "duizend",      "lijk",          "bode",          "bals",            "katten",      "grofvuil",
      "wmo",         "jeugdhulp",     "afvalbakken",  "straatverlichting", "bijstandsuitkering", "bomen",   "boom",        "roos",
      "rozen",       "gaan",          "goed",         "goede",         "zegt",          "zeggen",          "hebben",      "lezing",      "baaren",      "seese",       "vootse",
      "aardig",      "aardige",       "moeilijkste",  "opvallend",     "eerbaar",       "dienstbaar",      "ellendig",    "heidense"};
  std::mt19937 draw(3);
  static constexpr char const* parts[] = {"b", "st", "v", "g", "sch", "aa", "ee", "oo", "uu", "ij", "ie", "e", "i", "a", "o", "u", "y", "heid", "en", "ing", "lijk", "baar", "bar", "end", "ig", "s", "se", "ene", "heden", "d", "n", "k", "t", "ui"};
  for (int i = 0; i < 20'000; ++i) {
    std::string w;
    for (auto n = 1 + draw() % 6; n > 0; --n) w += parts[draw() % std::size(parts)];
    words.push_back(w);
  }
  int broken = 0;
  for (auto const& w : words) {
    auto const s = routing::word_stems(w).front();
    bool const kept = s.size() <= w.size() && w.starts_with(routing::stem_core(s));
    if (!kept && ++broken <= 5) FAIL_CHECK(w << " has the stem " << s);
  }
  CHECK(broken == 0);
}

TEST_CASE("the router's word verdicts hold across messages, rule sets and threads") {
  auto const make = [](json words) {
    json const section = {{"default_inbox", "algemeen"}, {"rules", json::array({{{"name", "afval"}, {"match", {{"words", words}}}, {"inbox", "afval"}}})}};
    channels::object_reader r(section, "/routing");
    return routing::router(routing::read_routing(r, {"algemeen", "afval"}));
  };
  auto const container = make({"container"});
  auto const grofvuil = make({"grofvuil ophalen"});
  case_message m;
  m.channel = channel::email;
  auto route = [&](routing::router const& r, std::string text, std::optional<std::string> subject = std::nullopt) {
    m.text = std::move(text);
    m.subject = std::move(subject);
    return r.route(m).inbox;
  };
  for (int round = 0; round < 3; ++round) {  // the second and third time from each rule set's cache
    CHECK(route(container, "De Containers zijn vol.") == "afval");
    CHECK(route(grofvuil, "De containers zijn vol.") == "algemeen");
    CHECK(route(grofvuil, "Kunt u het grofvuil ophalen?") == "afval");
    CHECK(route(container, "Kunt u het grofvuil ophalen?") == "algemeen");
    CHECK(route(grofvuil, "ophalen graag", "Grofvuil") == "algemeen");  // a phrase does not run from the subject into the text
    CHECK(route(container, "containerpark") == "algemeen");              // one word, not the start of one
  }
  auto const block = make({"blok b", "5"});  // one-letter words: a building's block, a house number
  CHECK(route(block, "Ik woon in blok B.") == "afval");
  CHECK(route(block, "Nummer 5 graag.") == "afval");
  CHECK(route(block, "Nummer 55 graag.") == "algemeen");
  std::string other_thread;
  std::thread([&] { other_thread = route(container, "één container"); }).join();
  CHECK(other_thread == "afval");
}

TEST_CASE("routing rules are validated as a whole: the rule's index and the reason, and nothing is used") {
  CHECK(rules_error(municipal_rules) == "");
  auto with = [&](json bad) {
    auto list = municipal_rules;
    list.push_back(std::move(bad));
    return rules_error(list);
  };
  CHECK(with({{"name", "x"}, {"match", {{"words", {"afval"}}}}, {"inbox", "nergens"}}) == "config: /routing/rules/5/inbox: names no inbox in /inboxes");
  CHECK(with({{"name", "afval"}, {"match", {{"words", {"afval"}}}}, {"inbox", "afval"}}) == "config: /routing/rules/5/name: another rule has this name");
  CHECK(with({{"name", "alles"}, {"match", json::object()}, {"inbox", "afval"}}) ==
        "config: /routing/rules/5/match: give at least one condition (the default inbox takes what no rule matches)");
  CHECK(with({{"name", "x"}, {"match", {{"needs", {"telepathy"}}}}, {"inbox", "afval"}}).find("/routing/rules/5/match/needs/0") != std::string::npos);
  CHECK(with({{"name", "x"}, {"match", {{"words", {"!!"}}}}, {"inbox", "afval"}}) == "config: /routing/rules/5/match/words/0: has no word in it");
  CHECK(with({{"name", "x"}, {"match", {{"wrds", {"afval"}}}}, {"inbox", "afval"}}) == "config: /routing/rules/5/match/wrds: unknown key");
  CHECK(with({{"name", "x"}, {"match", {{"words", {"afval"}}}}, {"inbox", "afval"}, {"priority", "spoed"}}) ==
        "config: /routing/rules/5/priority: expected low, normal, high or urgent");
}

namespace {

/// 2026-12-04 is a Friday; Amsterdam is UTC+1 in December.
timestamp utc(int day, int hour, int minute) {
  using namespace std::chrono;
  return sys_days{year{2026} / December / day} + hours(hour) + minutes(minute);
}

struct amsterdam_time {
  amsterdam_time() {
    setenv("TZ", "Europe/Amsterdam", 1);
    tzset();
  }
};

} // namespace

TEST_CASE("rules on the address written to and on the time of arrival, as a table") {
  amsterdam_time const tz;
  json const rules = json::array({
      {{"name", "afval-nummer"}, {"match", {{"addressed_to", {"+31 6 00000001", "afval@gemeente.test"}}}}, {"inbox", "afval"}, {"topic", "afval"}},
      {{"name", "weekend"}, {"match", {{"arrival", {{"days", {"sat", "sun"}}}}}}, {"inbox", "telefoon"}, {"priority", "low"}},
      {{"name", "nacht"}, {"match", {{"channels", {"sms"}}, {"arrival", {{"from", "22:00"}, {"until", "07:00"}}}}}, {"inbox", "toegankelijk"}},
  });
  routing::router r({"algemeen", {}, rules_from(rules)});
  struct row {
    channel via;
    std::string addressed_to;
    timestamp at;
    std::string rule;
  };
  std::vector<row> const table = {
      {channel::sms, "+31600000001", utc(4, 10, 0), "afval-nummer"},
      {channel::sms, "0031 6 0000 0001", utc(4, 10, 0), "afval-nummer"},
      {channel::sms, "06-00000001", utc(4, 10, 0), "afval-nummer"},
      {channel::email, "Afval@Gemeente.test", utc(4, 10, 0), "afval-nummer"},
      {channel::email, "info@gemeente.test", utc(4, 10, 0), "default"},
      {channel::sms, "+31600000002", utc(4, 10, 0), "default"},
      // Friday 23:30 UTC is Saturday 00:30 in Amsterdam: the weekend rule, which comes before the night rule.
      {channel::sms, "", utc(4, 23, 30), "weekend"},
      {channel::email, "", utc(5, 12, 0), "weekend"},
      // Friday 21:30 UTC is 22:30 local: night, by SMS only; 06:30 local still night, 07:00 local not.
      {channel::sms, "", utc(4, 21, 30), "nacht"},
      {channel::email, "", utc(4, 21, 30), "default"},
      {channel::sms, "", utc(4, 5, 30), "nacht"},
      {channel::sms, "", utc(4, 6, 0), "default"},
  };
  for (auto const& t : table) {
    case_message m;
    m.channel = t.via;
    if (!t.addressed_to.empty()) m.addressed_to = t.addressed_to;
    m.received_at = t.at;
    INFO(t.addressed_to << " at " << t.at.time_since_epoch().count());
    CHECK(r.route(m).rule == t.rule);
  }
}

TEST_CASE("a routing section is read whole: default inbox, channels and rules, each mistake with its key") {
  std::set<std::string> const inboxes = {"algemeen", "telefoon"};
  auto read = [&](json const& section) -> std::string {
    try {
      channels::object_reader r(section, "");
      routing::read_routing(r, inboxes);
    } catch (channels::config_error const& e) {
      return e.path + ": " + e.reason;
    }
    return {};
  };
  CHECK(read({{"default_inbox", "algemeen"}, {"channels", {{"phone", "telefoon"}}}}) == "");
  CHECK(read({{"default_inbox", "nergens"}}) == "/default_inbox: names no inbox in /inboxes");
  CHECK(read({{"channels", {{"phone", "telefoon"}}}}) == "/default_inbox: missing required key");
  CHECK(read({{"default_inbox", "algemeen"}, {"channels", {{"phone", "nergens"}}}}) == "/channels/phone: names no inbox in /inboxes");
  CHECK(read({{"default_inbox", "algemeen"}, {"rulez", json::array()}}) == "/rulez: unknown key");
  CHECK(read(json::array()) == "/: expected an object");
  auto const rule = [](json match) { return json{{"default_inbox", "algemeen"}, {"rules", {{{"name", "r"}, {"match", std::move(match)}, {"inbox", "telefoon"}}}}}; };
  CHECK(read(rule({{"arrival", {{"days", {"zat"}}}}})) == "/rules/0/match/arrival/days/0: expected mon, tue, wed, thu, fri, sat or sun");
  CHECK(read(rule({{"arrival", {{"from", "22:00"}}}})) == "/rules/0/match/arrival: give both from and until, or neither");
  CHECK(read(rule({{"arrival", {{"from", "9:00"}, {"until", "17:00"}}}})) == "/rules/0/match/arrival/from: expected a time of day as \"HH:MM\"");
  CHECK(read(rule({{"arrival", {{"from", "09:00"}, {"until", "09:00"}}}})) == "/rules/0/match/arrival/until: must differ from from");
  CHECK(read(rule({{"arrival", json::object()}})) == "/rules/0/match/arrival: give days, a time window, or both");
  CHECK(read(rule({{"addressed_to", {""}}})) == "/rules/0/match/addressed_to/0: expected a non-empty text");
}
