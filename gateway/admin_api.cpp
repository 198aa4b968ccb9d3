// Admins switch channels on and off (role `admin`). The switch lives in Redis
// (gateway/switchboard.hpp), so every instance applies it; each change needs a
// reason, may carry a notice for residents (Dutch, optionally English), is
// audited, and shows in the channel's history. Switching off the last channel
// residents can use is refused with 409: someone must always be reachable.
#include "channels/json_fields.hpp"
#include "channels/webchat/protocol.hpp"
#include "gateway/api.hpp"
#include "server/problem.hpp"
#include "gateway/staff_views.hpp"
#include "gateway/health_board.hpp"
#include "gateway/switchboard.hpp"

#include <nlohmann/json.hpp>

namespace balie::gateway {
using namespace server;
namespace {

constexpr std::size_t max_reason_bytes = 500;
constexpr std::size_t max_notice_bytes = 1000;

nlohmann::json switch_json(std::string const& name, queue::channel_switch const& s) {
  return {{"name", name},
          {"enabled", s.enabled},
          {"reason", s.reason},
          {"notice", {{"nl", s.notice_nl}, {"en", s.notice_en}}},
          {"changed_by", s.by},
          {"since", s.at.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.at)}};
}

http_response field_problem(rejection const& r) {
  return invalid_request("The change cannot be made.", {{r.pointer, r.detail}});
}

/// A text an admin wrote for the log or for residents: cleaned like resident text, within `limit`.
outcome<std::string> admin_text(std::string const& raw, std::string const& field, std::size_t limit) {
  if (!is_valid_utf8(raw)) return reject(400, "invalid-request", "The text is not valid UTF-8.", field);
  auto clean = webchat::clean_resident_text(raw);
  if (!clean) return reject(400, "invalid-request", "Write a short text.", field);
  if (clean->size() > limit) return reject(400, "invalid-request", "At most " + std::to_string(limit) + " bytes.", field);
  return std::move(*clean);
}

} // namespace


void api::list_channels(http_request const&, principal const&, http_responder respond) {
  if (!switches_) return respond(problem(404, "not-found", "Channels are not switched at run time here."));
  nlohmann::json list = nlohmann::json::array();
  for (auto const& name : switches_->channels())
    if (auto s = switches_->state(name)) {
      auto j = switch_json(name, *s);
      if (auto const h = health_->get(name))
        j["health"] = {{"state", h->health.state}, {"reason", h->health.reason}, {"since", h->since}};
      j["counters"] = {{"in", metrics_.received_total(name)}, {"out", metrics_.sent_total(name)}};
      list.push_back(std::move(j));
    }
  respond(json_response(200, {{"channels", std::move(list)}}));
}

void api::switch_channel(http_request const& req, principal const& me, std::string const& channel, http_responder respond) {
  if (!switches_ || !switches_->state(channel)) return respond(problem(404, "not-found", "There is no channel with this name here."));
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  auto const enabled = json_fields::optional_boolean(j, "enabled");
  if (!enabled) return respond(field_problem(enabled.error()));
  if (!*enabled) return respond(invalid_request("Say whether the channel is on.", {{"enabled", "true or false is required"}}));
  auto const raw_reason = json_fields::required_string(j, "reason");
  if (!raw_reason) return respond(field_problem(raw_reason.error()));
  auto reason = admin_text(*raw_reason, "reason", max_reason_bytes);
  if (!reason) return respond(field_problem(reason.error()));
  auto const notice = json_fields::optional_object(j, "notice");
  if (!notice) return respond(field_problem(notice.error()));
  queue::channel_switch to{**enabled, std::move(*reason), "", "", me.name, format_rfc3339(clock_())};
  if (*notice) {
    for (auto [lang, target] : {std::pair{"nl", &to.notice_nl}, std::pair{"en", &to.notice_en}}) {
      auto const raw = json_fields::optional_string(**notice, lang, "notice");
      if (!raw) return respond(field_problem(raw.error()));
      if (!*raw) continue;
      auto clean = admin_text(**raw, std::string("notice.") + lang, max_notice_bytes);
      if (!clean) return respond(field_problem(clean.error()));
      *target = std::move(*clean);
    }
  }
  if (!to.notice_en.empty() && to.notice_nl.empty())
    return respond(invalid_request("Residents read Dutch first.", {{"notice.nl", "a Dutch notice is needed when there is an English one"}}));
  switches_->change(channel, to, [channel, to, respond](boost::system::error_code ec, queue::change_result r) {
    if (ec) return respond(store_unavailable());
    if (r == queue::change_result::last_channel)
      return respond(problem(409, "last-channel",
                             "This is the last channel residents can use that is still on. Switch another channel on first: "
                             "residents must always be able to reach the municipality."));
    respond(json_response(200, switch_json(channel, to)));
  });
}

void api::channel_history(http_request const&, principal const&, std::string const& channel, http_responder respond) {
  if (!switches_ || !switches_->state(channel)) return respond(problem(404, "not-found", "There is no channel with this name here."));
  switches_->history([channel, respond](boost::system::error_code ec, std::vector<std::map<std::string, std::string>> entries) {
    if (ec) return respond(store_unavailable());
    nlohmann::json changes = nlohmann::json::array(), unavailable = nlohmann::json::array();
    for (auto const& e : entries) {
      auto const field = [&e](char const* k) {
        auto it = e.find(k);
        return it == e.end() ? std::string{} : it->second;
      };
      if (field("channel") != channel) continue;
      bool const on = field("enabled") == "on";
      changes.push_back({{"enabled", on}, {"reason", field("reason")}, {"changed_by", field("by")}, {"at", field("at")}});
      // The periods the channel was off: from a switch-off to the next switch-on (open while still off).
      if (!on && (unavailable.empty() || !unavailable.back()["to"].is_null()))
        unavailable.push_back({{"from", field("at")}, {"to", nullptr}, {"reason", field("reason")}});
      else if (on && !unavailable.empty() && unavailable.back()["to"].is_null())
        unavailable.back()["to"] = field("at");
    }
    respond(json_response(200, {{"channel", channel}, {"changes", std::move(changes)}, {"unavailable", std::move(unavailable)}}));
  });
}

// A sample message through the routing in force: which rule it would hit. Admins try a change
// here before they apply it; nothing is stored, the text is not logged.
void api::routing_test(http_request const& req, principal const&, http_responder respond) {
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  for (auto const& [key, value] : j.items())
    if (key != "channel" && key != "provider" && key != "subject" && key != "text" && key != "language" && key != "needs" &&
        key != "possible_bsn" && key != "confidential")
      return respond(invalid_request("The sample has a field routing does not read.", {{key, "unknown field"}}));
  auto const raw_channel = json_fields::required_string(j, "channel");
  if (!raw_channel) return respond(field_problem(raw_channel.error()));
  auto const via = channel_from(*raw_channel);
  if (!via) return respond(invalid_request("The sample cannot be routed.", {{"channel", "must be one of " + channel_names_list()}}));
  case_message m;
  m.channel = *via;
  for (auto [name, target] : {std::pair{"provider", &m.provider}, std::pair{"text", &m.text}, std::pair{"language", &m.resident.language}}) {
    auto const v = json_fields::optional_string(j, name);
    if (!v) return respond(field_problem(v.error()));
    if (*v) *target = **v;
  }
  auto const subject = json_fields::optional_string(j, "subject");
  if (!subject) return respond(field_problem(subject.error()));
  m.subject = *subject;
  if (auto const needs = j.find("needs"); needs != j.end()) {
    if (!needs->is_array()) return respond(invalid_request("The sample cannot be routed.", {{"needs", "must be a list"}}));
    for (auto const& n : *needs) {
      auto const need = n.is_string() ? resident_need_from(n.get<std::string>()) : std::nullopt;
      if (!need) return respond(invalid_request("The sample cannot be routed.", {{"needs", "each must be a need of the case-message schema"}}));
      m.resident.needs.push_back(*need);
    }
  }
  for (auto [name, target] : {std::pair{"possible_bsn", &m.classification.possible_bsn}, std::pair{"confidential", &m.classification.confidential}}) {
    auto const v = json_fields::optional_boolean(j, name);
    if (!v) return respond(field_problem(v.error()));
    if (*v) *target = **v;
  }
  auto const routed = routing::router(current_config()->routing).route(m);
  respond(json_response(200, {{"inbox", routed.inbox},
                              {"priority", to_string(routed.priority)},
                              {"topic", routed.topic ? nlohmann::json(*routed.topic) : nlohmann::json()},
                              {"rule", routed.rule}}));
}

} // namespace balie::gateway
