#include "routing/rules.hpp"

#include "routing/dutch_words.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace balie::routing {
using channels::fail;
using channels::object_reader;
using nlohmann::json;

namespace {

/// A list of strings, each checked by `check` (which fails with its own reason).
template <class Check>
std::vector<std::string> strings(object_reader& r, std::string const& key, Check check) {
  std::vector<std::string> out;
  r.array(key, false, [&](json const& v, std::string const& at) {
    if (!v.is_string() || v.get<std::string>().empty()) fail(at, "expected a non-empty text");
    check(v.get<std::string>(), at);
    out.push_back(v.get<std::string>());
  });
  return out;
}

/// "HH:MM" as minutes since midnight ("24:00" ends a day).
int minute_of(object_reader& r, std::string const& key, std::string const& at) {
  auto const t = r.text(key, "");
  bool const shaped = t.size() == 5 && t[2] == ':' && std::isdigit(static_cast<unsigned char>(t[0])) && std::isdigit(static_cast<unsigned char>(t[1])) &&
                      std::isdigit(static_cast<unsigned char>(t[3])) && std::isdigit(static_cast<unsigned char>(t[4]));
  int const minute = shaped ? ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 + (t[4] - '0') : -1;
  if (!shaped || minute > 24 * 60 || t[3] > '5') fail(at + "/" + key, "expected a time of day as \"HH:MM\"");
  return minute;
}

arrival_window read_arrival(object_reader& a, std::string const& at) {
  static constexpr char const* day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  arrival_window w;
  for (auto const& d : strings(a, "days", [](std::string const& v, std::string const& p) {
         if (std::find(std::begin(day_names), std::end(day_names), v) == std::end(day_names)) fail(p, "expected mon, tue, wed, thu, fri, sat or sun");
       }))
    w.days.push_back(static_cast<int>(std::find(std::begin(day_names), std::end(day_names), d) - std::begin(day_names)));
  if (a.has("from") != a.has("until")) fail(at, "give both from and until, or neither");
  if (a.has("from")) {
    w.from_minute = minute_of(a, "from", at);
    w.until_minute = minute_of(a, "until", at);
    if (w.from_minute == w.until_minute) fail(at + "/until", "must differ from from");
  }
  if (w.days.empty() && !w.from_minute) fail(at, "give days, a time window, or both");
  return w;
}

} // namespace

local_moment local_moment_of(timestamp t) {
  auto const secs = static_cast<std::time_t>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  std::tm local{};
  localtime_r(&secs, &local);
  return {local.tm_wday, local.tm_hour * 60 + local.tm_min};
}

std::string address_key(std::string_view address) {
  std::string key;
  for (char c : address)
    if (c != ' ' && c != '-' && c != '(' && c != ')') key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  bool const number = !key.empty() && std::all_of(key.begin() + (key[0] == '+' ? 1 : 0), key.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!number || key.size() < 9) return key;  // an address, or a short code as it is
  if (key[0] == '+') return key.substr(1);
  if (key.starts_with("00")) return key.substr(2);
  if (key[0] == '0') return "31" + key.substr(1);  // a Dutch national number
  return key;
}

std::vector<rule_config> read_rules(object_reader& routing, std::set<std::string> const& inbox_ids) {
  std::vector<rule_config> rules;
  std::set<std::string> names;
  routing.array("rules", false, [&](json const& item, std::string const& at) {
    object_reader r(item, at);
    rule_config rule;
    rule.name = r.text("name", "", true);
    channels::check_identifier(rule.name, at + "/name", "a rule name");
    if (!names.insert(rule.name).second) fail(at + "/name", "another rule has this name");
    rule.inbox = r.text("inbox", "", true);
    if (!inbox_ids.count(rule.inbox)) fail(at + "/inbox", "names no inbox in /inboxes");
    if (r.has("priority")) {
      auto const p = priority_from(r.text("priority", ""));
      if (!p) fail(at + "/priority", "expected low, normal, high or urgent");
      rule.priority = *p;
    }
    if (r.has("topic")) rule.topic = r.text("topic", "");
    if (rule.topic && rule.topic->empty()) fail(at + "/topic", "expected a non-empty text");
    bool any = false;
    r.object("match", true, [&](object_reader& m) {
      for (auto const& c : strings(m, "channels", [](std::string const& v, std::string const& p) {
             if (!channel_from(v)) fail(p, "expected one of " + channel_names_list());
           }))
        rule.channels.push_back(*channel_from(c));
      rule.providers = strings(m, "providers", [](std::string const&, std::string const&) {});
      for (auto const& a : strings(m, "addressed_to", [](std::string const&, std::string const&) {})) rule.addressed_to.push_back(address_key(a));
      m.object("arrival", false, [&](object_reader& a) { rule.arrival = read_arrival(a, at + "/match/arrival"); });
      rule.words = strings(m, "words", [](std::string const& v, std::string const& p) {
        if (word_stems(v).empty()) fail(p, "has no word in it");
      });
      for (auto const& w : rule.words) rule.word_stems.push_back(word_stems(w));
      rule.languages = strings(m, "languages", [](std::string const& v, std::string const& p) {
        if (v.size() != 3 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
          fail(p, "expected an ISO 639-3 code such as nld or eng");
      });
      for (auto const& n : strings(m, "needs", [](std::string const& v, std::string const& p) {
             if (!resident_need_from(v)) fail(p, "expected a need of the case-message schema (screen-reader, text-relay, ...)");
           }))
        rule.needs.push_back(*resident_need_from(n));
      if (m.has("possible_bsn")) rule.possible_bsn = m.boolean("possible_bsn", false);
      if (m.has("confidential")) rule.confidential = m.boolean("confidential", false);
      any = !rule.channels.empty() || !rule.providers.empty() || !rule.addressed_to.empty() || rule.arrival || !rule.words.empty() || !rule.languages.empty() || !rule.needs.empty() ||
            rule.possible_bsn || rule.confidential;
    });
    // A rule without a condition would catch everything after it: that is what the default inbox is for.
    if (!any) fail(at + "/match", "give at least one condition (the default inbox takes what no rule matches)");
    rules.push_back(std::move(rule));
  });
  return rules;
}

namespace {

bool within(arrival_window const& w, local_moment at) {
  if (!w.days.empty() && std::find(w.days.begin(), w.days.end(), at.weekday) == w.days.end()) return false;
  if (!w.from_minute) return true;
  if (*w.from_minute < *w.until_minute) return at.minute >= *w.from_minute && at.minute < *w.until_minute;
  return at.minute >= *w.from_minute || at.minute < *w.until_minute;  // past midnight
}

} // namespace

bool matches_besides_words(rule_config const& rule, case_message const& m, message_facts const& facts) {
  auto const any_of = [](auto const& list, auto pred) { return list.empty() || std::any_of(list.begin(), list.end(), pred); };
  return any_of(rule.channels, [&](channel c) { return c == m.channel; }) &&
         any_of(rule.providers, [&](std::string const& p) { return p == m.provider; }) &&
         (rule.addressed_to.empty() || std::find(rule.addressed_to.begin(), rule.addressed_to.end(), facts.addressed_to) != rule.addressed_to.end()) &&
         (!rule.arrival || within(*rule.arrival, facts.arrival)) &&
         any_of(rule.languages, [&](std::string const& l) { return l == m.resident.language; }) &&
         any_of(rule.needs, [&](resident_need n) { return std::find(m.resident.needs.begin(), m.resident.needs.end(), n) != m.resident.needs.end(); }) &&
         (!rule.possible_bsn || *rule.possible_bsn == m.classification.possible_bsn) &&
         (!rule.confidential || *rule.confidential == m.classification.confidential);
}

} // namespace balie::routing
