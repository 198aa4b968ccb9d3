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
#include "gateway/routing_board.hpp"
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
      // WhatsApp is allowed only under a DPIA: admins see which one before they switch it on.
      if (auto const cfg = current_config(); name == "messenger" && cfg->messenger.whatsapp.configured)
        j["dpia_reference"] = cfg->messenger.whatsapp.dpia_reference;
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

namespace {

/// A rule set that cannot be used: the key (`/rules/3/inbox`) and why. The rules in force stay.
http_response refused_rules(routing_board::checked const& c) {
  return invalid_request("The rule set cannot be used; the rules in force stay.", {{c.path == "/" ? "routing" : "routing" + c.path, c.reason}});
}

nlohmann::json routing_json(routing_board::in_force const& r) {
  return {{"version", r.version}, {"changed_by", r.by}, {"since", r.at.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.at)},
          {"reason", r.reason}, {"rules", r.config.rules.size()}, {"routing", r.document}};
}

} // namespace

void api::get_routing(http_request const&, principal const&, http_responder respond) {
  if (!routing_) return respond(problem(404, "not-found", "Routing is not changed at run time here."));
  respond(json_response(200, routing_json(routing_->current())));
}

// An admin's new rule set: checked as a whole against this installation's inboxes, then put in
// force in Redis for every instance (audited there with who and why).
void api::put_routing(http_request const& req, principal const& me, http_responder respond) {
  if (!routing_) return respond(problem(404, "not-found", "Routing is not changed at run time here."));
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  for (auto const& [key, value] : j.items())
    if (key != "routing" && key != "reason") return respond(invalid_request("The request has a field this endpoint does not read.", {{key, "unknown field"}}));
  auto const raw_reason = json_fields::required_string(j, "reason");
  if (!raw_reason) return respond(field_problem(raw_reason.error()));
  auto reason = admin_text(*raw_reason, "reason", max_reason_bytes);
  if (!reason) return respond(field_problem(reason.error()));
  auto const document = j.find("routing");
  if (document == j.end()) return respond(invalid_request("Send the rule set.", {{"routing", "required: default_inbox, channels and rules"}}));
  auto const checked = routing_->check(*document);
  if (!checked.config) return respond(refused_rules(checked));
  routing_->replace(*document, me.name, std::move(*reason), format_rfc3339(clock_()),
                    [board = routing_, respond](boost::system::error_code ec, bool changed, long long version) {
                      if (ec) return respond(store_unavailable());
                      auto body = routing_json(board->current());
                      body["changed"] = changed;
                      body["version"] = version;
                      respond(json_response(200, body));
                    });
}

void api::check_routing(http_request const& req, principal const&, http_responder respond) {
  if (!routing_) return respond(problem(404, "not-found", "Routing is not changed at run time here."));
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("routing") || j.size() != 1)
    return respond(problem(400, "invalid-json", "The request body must be a JSON object with one field, routing."));
  auto const checked = routing_->check(j["routing"]);
  if (!checked.config) return respond(refused_rules(checked));
  respond(json_response(200, {{"valid", true}, {"rules", checked.config->rules.size()}, {"default_inbox", checked.config->default_inbox}}));
}

// A sample message through the routing in force, or through a rule set sent along (`routing`):
// which rule it would hit. Admins try a change here before they apply it; nothing is stored,
// the text is not logged.
void api::routing_test(http_request const& req, principal const&, http_responder respond) {
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  for (auto const& [key, value] : j.items())
    if (key != "channel" && key != "provider" && key != "subject" && key != "text" && key != "language" && key != "needs" &&
        key != "possible_bsn" && key != "confidential" && key != "addressed_to" && key != "received_at" && key != "routing")
      return respond(invalid_request("The sample has a field routing does not read.", {{key, "unknown field"}}));
  std::shared_ptr<routing::router const> router;
  if (auto const candidate = j.find("routing"); candidate != j.end()) {
    if (!routing_) return respond(problem(404, "not-found", "Routing is not changed at run time here."));
    auto const checked = routing_->check(*candidate);
    if (!checked.config) return respond(refused_rules(checked));
    router = std::make_shared<routing::router const>(*checked.config);
  } else {
    router = routing_ ? routing_->current().router : std::make_shared<routing::router const>(current_config()->routing);
  }
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
  auto const addressed_to = json_fields::optional_string(j, "addressed_to");
  if (!addressed_to) return respond(field_problem(addressed_to.error()));
  m.addressed_to = *addressed_to;
  m.received_at = clock_();
  auto const received_at = json_fields::optional_string(j, "received_at");
  if (!received_at) return respond(field_problem(received_at.error()));
  if (*received_at) {
    auto const at = parse_rfc3339(**received_at);
    if (!at) return respond(invalid_request("The sample cannot be routed.", {{"received_at", "expected an RFC 3339 time"}}));
    m.received_at = *at;
  }
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
  auto const routed = router->route(m);
  respond(json_response(200, {{"inbox", routed.inbox},
                              {"priority", to_string(routed.priority)},
                              {"topic", routed.topic ? nlohmann::json(*routed.topic) : nlohmann::json()},
                              {"rule", routed.rule}}));
}

} // namespace balie::gateway
