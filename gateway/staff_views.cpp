#include "gateway/staff_views.hpp"
#include "channels/subject.hpp"

#include "channels/time_format.hpp"
#include "server/problem.hpp"

#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>

#include <charconv>

namespace balie::gateway {
using namespace server;

std::string field(queue::case_summary const& c, char const* k) {
  auto it = c.fields.find(k);
  return it == c.fields.end() ? std::string{} : it->second;
}

namespace {

nlohmann::json optional_text(std::string const& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

nlohmann::json time_field(queue::case_summary const& c, char const* k) {
  auto const s = field(c, k);
  if (s.empty()) return nullptr;
  return time_json(std::strtoll(s.c_str(), nullptr, 10));
}

/// The channel that sends to an address of this kind.
std::optional<balie::channel> channel_for(std::string const& kind) {
  if (kind == "email") return channel::email;
  if (kind == "phone") return channel::sms;
  if (kind == "webchat") return channel::webchat;
  if (kind == "matrix" || kind == "whatsapp") return channel::messenger;
  return std::nullopt;
}

} // namespace

std::optional<long long> non_negative_number(std::string_view s) {
  long long v = 0;
  auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

nlohmann::json time_json(long long ms) { return format_rfc3339(timestamp{std::chrono::milliseconds{ms}}); }

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto const amp = query.find('&');
    auto const pair = query.substr(0, amp);
    auto const eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      auto const raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      auto const pct = boost::urls::make_pct_string_view(raw);
      if (!pct) return std::string{};  // malformed escapes: an empty value, which no check accepts
      std::string out;
      for (char c : boost::urls::decode_view(*pct)) out.push_back(c);
      return out;
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return std::nullopt;
}

std::optional<case_message> stored_case_message(queue::stored_message const& m) {
  auto const j = nlohmann::json::parse(m.json, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  auto parsed = case_message_from_json(j);
  if (!parsed) return std::nullopt;
  return std::move(*parsed);
}

std::vector<reply_option> reply_options(std::vector<queue::stored_message> const& messages) {
  std::vector<reply_option> out;
  bool have_default = false;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    // Only what residents sent names their addresses: staff replies (often most of a long
    // case) are passed over before the typed read, which checks and normalises every text.
    auto const j = nlohmann::json::parse(it->json, nullptr, false);
    auto const dir = j.is_object() ? j.find("direction") : j.end();
    if (!j.is_object() || dir == j.end() || *dir != "inbound") continue;
    auto const parsed = case_message_from_json(j);
    if (!parsed) continue;
    auto const* m = &*parsed;
    for (auto const& a : m->resident.addresses) {
      auto const ch = channel_for(a.kind);
      if (!ch || a.value.empty()) continue;
      bool const seen = std::any_of(out.begin(), out.end(), [&](auto const& o) { return o.channel == *ch && o.address == a.value; });
      if (seen) continue;
      // The latest inbound message's own channel is the default; a call is answered by SMS.
      bool const matches = m->channel == *ch || (m->channel == channel::phone && *ch == channel::sms);
      out.push_back({*ch, a.kind, a.value, !have_default && matches});
      have_default = have_default || out.back().is_default;
    }
  }
  if (!have_default && !out.empty()) out.front().is_default = true;
  std::stable_partition(out.begin(), out.end(), [](auto const& o) { return o.is_default; });
  return out;
}

http_response confidential_refusal() {
  return problem(403, "confidential",
                 "This case is confidential. Only colleagues who may read confidential cases of this inbox can open, answer or close it. "
                 "Move it to them, or leave a note for them.");
}

bool withheld_from(queue::case_summary const& c, principal const& who) {
  return field(c, "confidential") == "1" && !who.may_read_confidential(field(c, "inbox"));
}

nlohmann::json case_summary_json(queue::case_summary const& c, bool withheld) {
  // The needs a resident gave, as the enqueue stored them; anything else read there is left out.
  nlohmann::json needs = nlohmann::json::array();
  auto const stored_needs = nlohmann::json::parse(field(c, "needs"), nullptr, false);
  if (stored_needs.is_array())
    for (auto const& n : stored_needs)
      if (n.is_string() && resident_need_from(n.get<std::string>())) needs.push_back(n);
  nlohmann::json out = {{"id", c.case_id},
          {"reference", field(c, "reference")},
          {"state", field(c, "state")},
          {"inbox", field(c, "inbox")},
          {"channel", field(c, "channel")},
          // Cases stored before subjects were normalised at intake show the same.
          {"subject", optional_text(plain_subject(field(c, "subject")))},
          {"priority", field(c, "priority").empty() ? "normal" : field(c, "priority")},
          {"assignee", optional_text(field(c, "assignee"))},
          {"claim_expires_at", time_field(c, "claim_expires_at")},
          // A proposal by the inbox's assignment: shown to that person, not a claim.
          {"proposed_to", optional_text(field(c, "proposed_to"))},
          {"proposed_at", time_field(c, "proposed_at")},
          {"resident_name", optional_text(field(c, "resident_name"))},
          // The first line of the resident's newest message, as the case view shows it.
          {"preview", optional_text(field(c, "preview"))},
          {"message_count", std::strtoll(field(c, "messages").c_str(), nullptr, 10)},
          {"unanswered", std::strtoll(field(c, "waiting").c_str(), nullptr, 10) > 0},
          {"needs", std::move(needs)},
          // What the resident was promised, and whether a person has acted on it in time.
          {"answer_by", time_field(c, "answer_by")},
          {"promised_at", time_field(c, "promised_at")},
          {"human_at", time_field(c, "human_at")},
          {"overdue", !field(c, "overdue_since").empty()},
          {"overdue_since", time_field(c, "overdue_since")},
          {"reported_at", time_field(c, "reported_at")},
          {"created_at", time_field(c, "created_at")},
          {"updated_at", time_field(c, "updated_at")},
          {"confidential", field(c, "confidential") == "1"},
          {"withheld", withheld}};
  if (withheld)
    for (auto const* what : {"subject", "resident_name", "preview"}) out[what] = nullptr;
  if (withheld) out["needs"] = nlohmann::json::array();
  return out;
}

nlohmann::json case_view_json(queue::case_record const& c, config const& cfg, std::set<std::string> const& switched_off, bool withheld) {
  auto body = case_summary_json(c.summary, withheld);
  body["messages"] = nlohmann::json::array();
  body["notes"] = nlohmann::json::array();
  body["reply_options"] = nlohmann::json::array();
  body["inboxes"] = nlohmann::json::array();
  for (auto const& i : cfg.inboxes)  // a colleague who may read it is found by moving the case
    if (i.id != field(c.summary, "inbox")) body["inboxes"].push_back({{"id", i.id}, {"name", i.name}});
  if (withheld) return body;
  for (auto const& m : c.messages) {
    auto j = nlohmann::json::parse(m.json, nullptr, false);
    if (j.is_discarded()) continue;
    if (auto d = c.delivery.find(j.value("id", "")); d != c.delivery.end()) {
      auto status = nlohmann::json::parse(d->second, nullptr, false);
      if (!status.is_discarded()) j["delivery"] = std::move(status);
    }
    body["messages"].push_back(std::move(j));
  }
  for (auto const& n : c.notes)
    body["notes"].push_back({{"id", n.id}, {"author", n.author}, {"text", n.text}, {"created_at", time_json(n.created_ms)}});
  for (auto const& o : reply_options(c.messages)) {
    nlohmann::json option = {{"channel", to_string(o.channel)},
                             {"address", o.address},
                             {"default", o.is_default},
                             {"enabled", !switched_off.count(std::string(to_string(o.channel)))}};
    // Outside WhatsApp's 24-hour window only this approved template goes (POST …/replies {"template"}).
    if (o.kind == "whatsapp" && cfg.messenger.whatsapp.configured && !cfg.messenger.whatsapp.template_name.empty())
      option["template"] = cfg.messenger.whatsapp.template_name;
    body["reply_options"].push_back(std::move(option));
  }
  return body;
}

} // namespace balie::gateway
