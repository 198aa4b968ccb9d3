// What staff do with a case. Each action checks access first (the case's
// current inbox must be on the token), then runs one atomic script that
// checks the case's state, acts, writes the live-update event and the audit
// line; a refusal changes nothing. A reply is checked before it is queued:
// the address must be one the resident gave, and the channel that carries
// it checks the rest (channels/reply_check.hpp).
#include "gateway/api.hpp"
#include "channels/subject.hpp"

#include "channels/sms_segments.hpp"

#include "gateway/switchboard.hpp"
#include "channels/text.hpp"
#include "server/problem.hpp"
#include "gateway/staff_views.hpp"

namespace balie::gateway {
using namespace server;
namespace {

/// Longest reply or note accepted, in bytes: a long letter, not a document.
constexpr std::size_t max_text_bytes = 20'000;

/// The fields of a staff action's body: every one a string, so they are read
/// from this map, never from the JSON (whose value() throws on a wrong type).
using string_fields = std::map<std::string, std::string>;

/// A field, or "" when absent.
std::string field(string_fields const& f, std::string const& name) {
  auto const it = f.find(name);
  return it == f.end() ? std::string{} : it->second;
}

/// A JSON object body with only the named string fields; nullopt after answering 400.
std::optional<string_fields> read_object(http_request const& req, std::vector<std::string> const& allowed, http_responder& respond) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    respond(problem(400, "invalid-json", "The request body must be a JSON object in UTF-8."));
    return std::nullopt;
  }
  string_fields fields;
  for (auto const& [k, v] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      respond(invalid_request("The request has a field this endpoint does not know.", {{k, "unknown field"}}));
      return std::nullopt;
    }
    if (!v.is_string()) {
      respond(invalid_request("Every field of this request is text.", {{k, "must be a string"}}));
      return std::nullopt;
    }
    fields.emplace(k, v.get_ref<std::string const&>());  // a string: checked just above
  }
  return fields;
}

/// Text a resident or colleague will read: trimmed, NFC, no control characters but newline and tab.
std::optional<std::string> clean_text(std::string const& raw, std::string& reason) {
  auto const t = to_nfc(trim(raw));
  if (t.empty()) reason = "must not be empty";
  else if (t.size() > max_text_bytes) reason = "must be at most " + std::to_string(max_text_bytes) + " bytes";
  else if (std::any_of(t.begin(), t.end(), [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7F; }))
    reason = "must not contain control characters";
  else return t;
  return std::nullopt;
}

} // namespace

void api::with_case_access(principal const& me, std::string const& case_id, http_responder& respond,
                           std::function<void(std::string, bool, http_responder)> then) {
  if (!is_case_id(case_id)) return respond(problem(404, "not-found", "There is no case with this id."));
  store_.read_summary(case_id, [me, respond, then = std::move(then)](boost::system::error_code ec, queue::case_summary c) {
    if (ec) return respond(store_unavailable());
    auto const inbox = c.fields.find("inbox");
    if (inbox == c.fields.end() || inbox->second.empty()) return respond(problem(404, "not-found", "There is no case with this id."));
    if (!me.may_see(inbox->second)) return respond(problem(403, "forbidden", "You have no access to this case."));
    then(inbox->second, withheld_from(c, me), respond);
  });
}

void api::answer_action(queue::action_result const& r, principal const& me, std::string const& case_id, http_responder respond) {
  using queue::action_status;
  switch (r.status) {
    case action_status::done: break;
    case action_status::not_found: return respond(problem(404, "not-found", "There is no case with this id."));
    case action_status::closed: return respond(problem(409, "case-closed", "This case is closed. Reopen it first."));
    case action_status::claimed_by_other:
      return respond(problem(409, "claimed-by-other", "A colleague (" + r.detail + ") is working on this case."));
    case action_status::not_claimed: return respond(problem(409, "not-claimed", "Nobody is working on this case."));
    case action_status::same_inbox: return respond(problem(409, "same-inbox", "The case is already in this inbox.", "inbox"));
    case action_status::not_closed: return respond(problem(409, "not-closed", "This case is not closed."));
    case action_status::moved: return respond(problem(409, "case-moved", "The case was moved to another inbox. Load it again."));
    case action_status::stale:
    case action_status::limited: return respond(problem(409, "conflict", "The case changed. Load it again."));
  }
  // Answer with the case as it is now, so the page needs no second request.
  store_.read_summary(case_id, [me, respond](boost::system::error_code ec, queue::case_summary c) {
    if (ec) return respond(store_unavailable());
    respond(json_response(200, case_summary_json(c, withheld_from(c, me))));
  });
}

void api::act(http_request const& req, principal const& me, std::string const& case_id, action what, http_responder respond) {
  std::optional<string_fields> body;
  if (what == action::transfer || what == action::note) {
    body = read_object(req, {what == action::transfer ? "inbox" : "text"}, respond);
    if (!body) return;
  }
  auto const cfg = current_config();
  std::string target, note;
  if (what == action::transfer) {
    target = field(*body, "inbox");
    bool const known = std::any_of(cfg->inboxes.begin(), cfg->inboxes.end(), [&](auto const& i) { return i.id == target; });
    if (!known) return respond(invalid_request("Choose an inbox to move the case to.", {{"inbox", "names no inbox"}}));
  }
  if (what == action::note) {
    std::string reason;
    auto t = clean_text(field(*body, "text"), reason);
    if (!t) return respond(invalid_request("The note cannot be saved.", {{"text", reason}}));
    note = *t;
  }
  with_case_access(me, case_id, respond, [this, me, case_id, what, target, note, cfg](std::string inbox, bool withheld, http_responder respond) {
    // Without the right to read it, staff may take it, hand it on or leave a note, never close it unread.
    if (withheld && what == action::close) return respond(confidential_refusal());
    queue::staff_actor const actor{me.name, std::move(inbox)};
    auto const now = clock_().time_since_epoch().count();
    auto done = [this, me, case_id, what, note, now, respond](boost::system::error_code ec, queue::action_result r) {
      if (ec) return respond(store_unavailable());
      if (what == action::note && r.status == queue::action_status::done)
        return respond(json_response(201, {{"id", r.detail}, {"author", me.name}, {"text", note}, {"created_at", time_json(now)}}));
      answer_action(r, me, case_id, respond);
    };
    switch (what) {
      case action::claim:
        return workflow_.claim(case_id, actor, now, std::chrono::duration_cast<std::chrono::milliseconds>(cfg->staff.claim_ttl), done);
      case action::release: return workflow_.release(case_id, actor, now, done);
      case action::transfer: return workflow_.transfer(case_id, actor, target, now, done);
      case action::note: return workflow_.add_note(case_id, actor, note, now, done);
      case action::close:
        // The retention term runs from now (gateway/retention_config.hpp).
        return workflow_.close(case_id, actor, now, cfg->webchat.conversation_retention, done,
                               cfg->retention.plan(timestamp{std::chrono::milliseconds{now}}).json(), cfg->openklant.enabled);
      case action::reopen: return workflow_.reopen(case_id, actor, now, done);
    }
  });
}

// Every keystroke's worth of text, so small and pure: answered on the calling thread.
void api::sms_size(http_request const& req, principal const&, http_responder respond) {
  auto const body = read_object(req, {"text"}, respond);
  if (!body) return;
  auto const text = field(*body, "text");
  if (text.size() > max_text_bytes)
    return respond(invalid_request("The text is too long.", {{"text", "must be at most " + std::to_string(max_text_bytes) + " bytes"}}));
  auto const cfg = current_config();
  auto const size = sms_segments(text);
  auto const max = cfg->staff.sms_max_segments;
  respond(json_response(200, {{"encoding", size.gsm7 ? "gsm-7" : "ucs-2"},
                              {"units", size.units},
                              {"segments", size.segments},
                              {"max_segments", max},
                              {"too_long", size.segments > static_cast<std::size_t>(max)},
                              {"has_web_address", has_web_address(text)},
                              {"web_addresses_allowed", cfg->sms.allow_links}}));
}

void api::post_reply(http_request const& req, principal const& me, std::string const& case_id, http_responder respond) {
  auto body = read_object(req, {"text", "channel", "address", "template"}, respond);
  if (!body) return;
  auto const cfg = current_config();
  // WhatsApp after its 24-hour window takes only the approved template, which asks the resident to write back.
  auto const& wa = cfg->messenger.whatsapp;
  auto const template_name = field(*body, "template");
  if (!template_name.empty() && (template_name != wa.template_name || !wa.configured))
    return respond(invalid_request("The reply cannot be sent.", {{"template", "no approved WhatsApp template of this name is configured"}}));
  if (!template_name.empty() && !field(*body, "text").empty())
    return respond(invalid_request("The reply cannot be sent.", {{"text", "a template has its own approved text"}}));
  std::string reason;
  auto text = template_name.empty() ? clean_text(field(*body, "text"), reason) : std::optional<std::string>(wa.template_text);
  if (!text) return respond(invalid_request("The reply cannot be sent.", {{"text", reason}}));
  if (!is_case_id(case_id)) return respond(problem(404, "not-found", "There is no case with this id."));
  store_.read_case(case_id, max_case_messages, [this, me, case_id, cfg, text = *text, body = *body, respond](boost::system::error_code ec,
                                                                                               queue::case_record c) {
    if (ec) return respond(store_unavailable());
    if (c.summary.fields.empty()) return respond(problem(404, "not-found", "There is no case with this id."));
    auto const inbox = c.summary.fields["inbox"];
    if (!me.may_see(inbox)) return respond(problem(403, "forbidden", "You have no access to this case."));
    if (withheld_from(c.summary, me)) return respond(confidential_refusal());
    // Choosing the address and building the message parse every message of
    // the case (up to max_case_messages): not on the Redis strand that answered.
    off_strand([this, me, case_id, cfg, text, body, respond, inbox, c = std::move(c)] {
      // The destination: one of the resident's own addresses, by default the channel they used.
      auto const options = reply_options(c.messages);
      auto const want_channel = field(body, "channel"), want_address = field(body, "address");
      if (!want_channel.empty() && !channel_from(want_channel))
        return respond(invalid_request("The reply cannot be sent.", {{"channel", "must be one of " + channel_names_list()}}));
      std::optional<reply_option> to;
      for (auto const& o : options) {
        bool const channel_ok = want_channel.empty() ? (want_address.empty() ? o.is_default : true) : to_string(o.channel) == want_channel;
        if (channel_ok && (want_address.empty() || o.address == want_address)) {
          to = o;
          break;
        }
      }
      if (!to) {
        if (options.empty()) return respond(invalid_request("The resident left no address to answer on.", {{"channel", "no address known"}}));
        auto const param = want_address.empty() ? "channel" : "address";
        return respond(invalid_request("Answer on a channel and address the resident gave.", {{param, "not an address of this resident"}}));
      }
      bool const as_template = !field(body, "template").empty();
      if (as_template && to->kind != "whatsapp")
        return respond(invalid_request("Only WhatsApp has an approved template.", {{"template", "the reply does not go to WhatsApp"}}));
      auto const send = [this, me, case_id, cfg, c, to = *to, text, inbox, respond, as_template]() {
        auto const now = clock_();
        auto const field = [&c](char const* k) {
          auto it = c.summary.fields.find(k);
          return it == c.summary.fields.end() ? std::string{} : it->second;
        };
        case_message m;
        m.id = ids_.ulid(now);
        m.case_id = case_id;
        m.reference = field("reference");
        m.direction = direction::outbound;
        m.channel = to.channel;
        m.provider = "balie";
        m.provider_message_id = m.id;  // until the channel's provider assigns its own
        m.occurred_at = m.received_at = now;
        if (auto const name = field("resident_name"); !name.empty()) m.resident.name = name;
        m.resident.addresses = {{to.kind, to.address}};
        if (auto const s = reply_subject(field("subject")); !s.empty() && to.channel == channel::email) m.subject = s;
        m.text = text;
        if (as_template) m.text.replace(m.text.find("{{1}}"), 5, m.reference);  // the approved wording, as the resident gets it
        m.routing = routing_info{field("inbox"), priority_from(field("priority")).value_or(priority::normal), std::nullopt,
                                 as_template ? "whatsapp-template" : "reply"};
        for (auto it = c.messages.rbegin(); it != c.messages.rend(); ++it) {
          if (auto const earlier = stored_case_message(*it); earlier && earlier->direction == direction::inbound) {
            m.in_reply_to = earlier->id;
            break;
          }
        }
        // A channel an admin switched off keeps the reply in its outbox until it is on again.
        auto const sw = switches_->state(std::string(to_string(m.channel)));
        m.delivery = delivery_info{sw && !sw->enabled ? "held" : "queued", 0, std::nullopt, now};
        auto const message = to_json(m);
        queue::reply_request r{case_id,
                               me.name,
                               now.time_since_epoch().count(),
                               std::chrono::duration_cast<std::chrono::milliseconds>(cfg->staff.claim_ttl),
                               m.id,
                               std::string(to_string(m.channel)),
                               message.dump(),
                               message["delivery"].dump(),
                               inbox};
        workflow_.reply(r, [this, me, case_id, message, respond](boost::system::error_code ec, queue::action_result res) {
          if (ec) return respond(store_unavailable());
          if (res.status != queue::action_status::done) return answer_action(res, me, case_id, respond);
          respond(json_response(202, {{"message", message}}));
        });
      };
      // The channel that carries the reply checks it (gateway/channel_registry.cpp); one without a check takes it.
      auto const check = [this, name = std::string(to_string(to->channel))]() -> std::shared_ptr<channels::reply_check const> {
        std::lock_guard lock(mutex_);
        auto it = replies_.find(name);
        return it == replies_.end() ? nullptr : it->second;
      }();
      if (!check || as_template) return send();  // a template may go outside the window; its text is approved
      check->validate_reply({to->address, text}, [this, send, respond](boost::system::error_code ec, std::optional<channels::reply_refusal> no) {
        if (ec) return respond(store_unavailable());
        if (no) return respond(invalid_request(no->title, {{no->field, no->reason}}));
        off_strand(send);
      });
    });
  });
}

} // namespace balie::gateway
