// The staff read path: who am I, inboxes with their counts, an inbox's
// cases (filtered, paged), one case with its messages in both directions,
// delivery status, notes and the addresses a reply can go to, the files its
// messages carry (downloads only), and the live event stream. Staff see only the inboxes on their token; a case in
// another inbox answers 403 without saying anything about the case. Every
// case read is written to the audit stream first: no audit line, no read.
#include "gateway/api.hpp"
#include "channels/json_fields.hpp"
#include "queue/staff_assignment.hpp"
#include "server/log.hpp"

#include "channels/attachment_store.hpp"
#include "gateway/live_updates.hpp"
#include "gateway/switchboard.hpp"
#include "server/problem.hpp"
#include "gateway/staff_views.hpp"

#include <charconv>

namespace balie::gateway {
using namespace server;
namespace {

/// Paging bounds: enough for a screen, small enough to answer fast.
constexpr std::size_t default_page = 25;
constexpr std::size_t max_page = 100;

bool valid_cursor(std::string const& c) {
  auto const sep = c.find('-');
  return sep != std::string::npos && non_negative_number(c.substr(0, sep)) && is_case_id(c.substr(sep + 1));
}

} // namespace

bool is_case_id(std::string_view id) { return is_ulid(id); }

void api::who_am_i(http_request const&, principal const& me, http_responder respond) {
  nlohmann::json body = {{"name", me.name}, {"role", to_string(me.role)}, {"inboxes", me.inboxes}};
  if (!assignment_ || me.role != role::staff) return respond(json_response(200, body));
  assignment_->is_available(me.name, [body, respond](boost::system::error_code ec, bool available) mutable {
    if (ec) return respond(store_unavailable());
    body["available"] = available;
    respond(json_response(200, body));
  });
}

// Staff only: a proposal goes to a person who works in the inbox.
void api::set_availability(http_request const& req, principal const& me, http_responder respond) {
  if (!assignment_) return respond(problem(404, "not-found", "Cases are not proposed to staff here."));
  if (me.role != role::staff) return respond(problem(403, "forbidden", "Only staff members are proposed cases."));
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  for (auto const& [key, value] : j.items())
    if (key != "available") return respond(invalid_request("The request has a field this endpoint does not read.", {{key, "unknown field"}}));
  auto const available = json_fields::optional_boolean(j, "available");
  if (!available || !*available) return respond(invalid_request("Say whether you are available.", {{"available", "true or false is required"}}));
  bool const yes = **available;
  assignment_->set_available(me.name, yes, clock_().time_since_epoch().count(), [me = me.name, yes, respond](boost::system::error_code ec) {
    if (ec) return respond(store_unavailable());
    server::log::info("staff.availability", {{"staff", me}, {"available", yes ? "true" : "false"}});
    respond(json_response(200, {{"available", yes}}));
  });
}

void api::list_inboxes(http_request const&, principal const& me, http_responder respond) {
  auto const cfg = current_config();
  std::vector<std::string> ids;
  std::vector<std::string> names;
  for (auto const& inbox : cfg->inboxes)
    if (me.may_see(inbox.id)) ids.push_back(inbox.id), names.push_back(inbox.name);
  store_.stats(ids, [ids, names, respond](boost::system::error_code ec, std::vector<queue::inbox_stats> stats) {
    if (ec) return respond(store_unavailable());
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < ids.size(); ++i)
      list.push_back({{"id", ids[i]},
                      {"name", names[i]},
                      {"open_cases", stats[i].open_cases},
                      {"unanswered_cases", stats[i].unanswered_cases},
                      {"oldest_unanswered_at", stats[i].oldest_unanswered_ms ? time_json(*stats[i].oldest_unanswered_ms) : nullptr}});
    respond(json_response(200, {{"inboxes", std::move(list)}}));
  });
}

void api::list_cases(http_request const& req, principal const& me, std::string const& inbox, http_responder respond) {
  auto const cfg = current_config();
  bool const known = std::any_of(cfg->inboxes.begin(), cfg->inboxes.end(), [&](auto const& i) { return i.id == inbox; });
  if (!known) return respond(problem(404, "not-found", "There is no inbox with this id."));
  if (!me.may_see(inbox)) return respond(problem(403, "forbidden", "You have no access to this inbox."));
  std::size_t limit = default_page;
  if (auto v = query_param(req.query, "limit")) {
    auto const n = non_negative_number(*v);
    if (!n || *n < 1 || *n > static_cast<long long>(max_page))
      return respond(problem(400, "invalid-parameter", "The limit must be a number from 1 to 100.", "limit"));
    limit = static_cast<std::size_t>(*n);
  }
  std::string cursor;
  if (auto v = query_param(req.query, "cursor")) {
    if (!valid_cursor(*v))
      return respond(problem(400, "invalid-parameter", "The cursor is not valid. Use next_cursor from the last page.", "cursor"));
    cursor = *v;
  }
  queue::case_filter filter;
  std::vector<std::string> channel_values;
  for (auto const c : all_channels) channel_values.emplace_back(to_string(c));
  struct allowed_values {
    char const* name;
    std::optional<std::string>* target;
    std::vector<std::string> values;
  };
  for (auto& f : {allowed_values{"state", &filter.state, {"open", "claimed", "closed"}},
                  allowed_values{"channel", &filter.channel, channel_values},
                  allowed_values{"priority", &filter.priority, {"low", "normal", "high", "urgent"}}}) {
    auto v = query_param(req.query, f.name);
    if (!v) continue;
    if (std::find(f.values.begin(), f.values.end(), *v) == f.values.end()) {
      std::string list;
      for (auto const& x : f.values) list += (list.empty() ? "" : ", ") + x;
      return respond(problem(400, "invalid-parameter", "The " + std::string(f.name) + " must be one of: " + list + ".", f.name));
    }
    *f.target = *v;
  }
  store_.list_cases(inbox, filter, limit, cursor,
                    [this, me, inbox, respond](boost::system::error_code ec, std::vector<queue::case_summary> cases, std::string next) {
                      if (ec) return respond(store_unavailable());
                      // Up to 100 cases to JSON: not on the Redis strand that answered.
                      off_strand([me, inbox, respond, cases = std::move(cases), next = std::move(next)] {
                        nlohmann::json list = nlohmann::json::array();
                        for (auto const& c : cases) list.push_back(case_summary_json(c, withheld_from(c, me)));
                        nlohmann::json body = {{"inbox", inbox}, {"cases", std::move(list)}};
                        body["next_cursor"] = next.empty() ? nlohmann::json(nullptr) : nlohmann::json(next);
                        respond(json_response(200, body));
                      });
                    });
}

void api::get_case(http_request const&, principal const& me, std::string const& case_id, http_responder respond) {
  if (!is_case_id(case_id)) return respond(problem(404, "not-found", "There is no case with this id."));
  auto const cfg = current_config();
  store_.read_case(case_id, max_case_messages, [this, me, cfg, case_id, respond](boost::system::error_code ec, queue::case_record c) {
    if (ec) return respond(store_unavailable());
    if (c.summary.fields.empty()) return respond(problem(404, "not-found", "There is no case with this id."));
    if (!me.may_see(c.summary.fields["inbox"])) return respond(problem(403, "forbidden", "You have no access to this case."));
    bool const withheld = withheld_from(c.summary, me);
    audit_then(me, withheld ? "case.read-withheld" : "case.read", case_id, respond, [this, c = std::move(c), cfg, withheld](http_responder respond) mutable {
      // Up to max_case_messages messages to JSON: not on the Redis strand that answered.
      std::set<std::string> off;
      for (auto const& name : switches_->channels())
        if (!switches_->enabled(name)) off.insert(name);
      off_strand([c = std::move(c), cfg, off = std::move(off), respond, withheld] {
        respond(json_response(200, case_view_json(c, *cfg, off, withheld)));
      });
    });
  });
}

namespace {

/// RFC 6266 / RFC 8187: an ASCII fallback name and the exact UTF-8 name, percent-encoded.
std::string download_disposition(std::string const& filename) {
  std::string ascii, encoded;
  for (unsigned char c : filename) {
    ascii += (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') encoded += static_cast<char>(c);
    else encoded += {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};  // RFC 3986: upper-case hex
  }
  if (filename.empty()) return "attachment";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

/// A stored file as a download from the store of the channel that took it; the path comes from the digest,
/// never from stored text.
http_response attachment_download(config const& cfg, balie::channel from, std::string const& sha256, std::string const& filename) {
  http_response r;
  auto const& dir = from == balie::channel::messenger ? cfg.messenger.attachment_dir : cfg.email.attachment_dir;
  r.file = channels::attachment_store(dir).path_of_digest(sha256);
  r.content_type = "application/octet-stream";  // never the declared type: the browser must not render it
  r.headers.emplace_back("Content-Disposition", download_disposition(filename));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

/// The name of a file one of the case's messages names, and that message's channel: a digest alone opens nothing.
std::optional<std::pair<std::string, balie::channel>> named_file(queue::case_record const& c, std::string const& sha256) {
  for (auto const& stored : c.messages)
    if (auto const m = stored_case_message(stored))
      for (auto const& a : m->attachments)
        if (a.sha256 == sha256) return std::pair{a.filename, m->channel};
  return std::nullopt;
}

} // namespace

void api::get_attachment(http_request const&, principal const& me, std::string const& case_id, std::string const& sha256,
                         http_responder respond) {
  auto const none = [] { return problem(404, "not-found", "This case has no such file."); };
  bool const hex = sha256.size() == 64 && sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!is_case_id(case_id) || !hex) return respond(none());
  auto const cfg = current_config();
  // Parsing every message happens off the Redis strand that answered (off_strand), so other
  // replies are not held up; the file itself is sent part by part as the client takes it.
  store_.read_case(case_id, max_case_messages, [this, me, cfg, case_id, sha256, respond, none](boost::system::error_code ec,
                                                                                                queue::case_record c) {
    if (ec) return respond(store_unavailable());
    if (c.summary.fields.empty()) return respond(problem(404, "not-found", "There is no case with this id."));
    if (!me.may_see(c.summary.fields["inbox"])) return respond(problem(403, "forbidden", "You have no access to this case."));
    if (withheld_from(c.summary, me)) return respond(confidential_refusal());
    off_strand([this, me, cfg, case_id, sha256, respond, none, c = std::move(c)] {
      auto const file = named_file(c, sha256);
      if (!file) return respond(none());
      audit_then(me, "case.attachment", case_id, respond, [cfg, sha256, file = *file](http_responder respond) {
        respond(attachment_download(*cfg, file.second, sha256, file.first));
      });
    });
  });
}

void api::audit_then(principal const& me, std::string const& action, std::string const& case_id, http_responder respond,
                     std::function<void(http_responder)> then) {
  auto const now = clock_().time_since_epoch().count();
  store_.audit({{"actor", me.name}, {"action", action}, {"case_id", case_id}, {"at", std::to_string(now)}},
               [respond, then = std::move(then)](boost::system::error_code ec) {
                 if (ec) return respond(store_unavailable());
                 then(respond);
               });
}

void api::events(http_request const& req, principal const& me, http_responder respond) {
  if (!live_) return respond(problem(404, "not-found", "There is nothing at this path."));
  live_filter filter{me, query_param(req.query, "inbox"), query_param(req.query, "case"), std::nullopt};
  if (filter.inbox && !me.may_see(*filter.inbox))
    return respond(problem(403, "forbidden", "You have no access to this inbox.", "inbox"));
  if (filter.case_id && !is_case_id(*filter.case_id))
    return respond(problem(400, "invalid-parameter", "The case is not a valid case id.", "case"));
  if (auto const last = req.header("last-event-id"); !last.empty()) {
    if (!is_stream_id(last))
      return respond(problem(400, "invalid-header", "Last-Event-ID must be an id from this event stream.", "Last-Event-ID"));
    filter.last_event_id = last;
  }
  respond(live_->open(std::move(filter)));
}

} // namespace balie::gateway
