// Records management, for a token with the `records` role, in every inbox:
// a case's retention (`GET/PUT /api/v1/cases/{id}/retention`: its class,
// the term and when it ends, legal hold) and the destruction list
// (`GET /api/v1/destruction-list`, JSON pages or, with `Accept: text/csv`,
// the whole list as CSV for the archivist). Records staff never see what a
// case says: the answer holds its reference, state and dates. Every change
// needs a reason and is audited in the same script.
#include "gateway/api.hpp"
#include "gateway/staff_views.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "queue/case_retention.hpp"
#include "queue/stream_id.hpp"
#include "server/problem.hpp"

namespace balie::gateway {
using namespace server;
namespace {

constexpr std::size_t max_reason_bytes = 500;
constexpr std::size_t list_page = 100;
constexpr std::size_t csv_batch = 1000;


nlohmann::json retention_json(queue::case_summary const& c, retention_config const& r) {
  auto const cls = r.class_for(field(c, "retention_class"), field(c, "topic"), field(c, "inbox"));
  auto const* k = r.find(cls);
  auto const by = field(c, "retention_by");
  auto const closed = non_negative_number(field(c, "closed_at"));
  auto const until = non_negative_number(field(c, "destroy_at"));
  nlohmann::json hold = nullptr;
  if (field(c, "legal_hold") == "1")
    hold = {{"reason", field(c, "legal_hold_reason")},
            {"by", field(c, "legal_hold_by")},
            {"since", time_json(non_negative_number(field(c, "legal_hold_at")).value_or(0))}};
  return {{"case_id", c.case_id},
          {"reference", field(c, "reference")},
          {"inbox", field(c, "inbox")},
          {"state", field(c, "state")},
          {"closed_at", closed ? time_json(*closed) : nlohmann::json(nullptr)},
          {"class", cls},
          {"label", k ? k->label : cls},
          {"term", k ? calendar::to_string(k->term) : ""},
          {"erasable_on_request", k && k->erasable_on_request},
          {"chosen_by", by.empty() || by == "balie" ? nlohmann::json(nullptr) : nlohmann::json(by)},
          {"reason", field(c, "retention_reason").empty() ? nlohmann::json(nullptr) : nlohmann::json(field(c, "retention_reason"))},
          {"destroy_after", until && closed ? time_json(*until) : nlohmann::json(nullptr)},
          {"legal_hold", hold}};
}

/// One CSV field: quoted when it holds a separator, quote or line break; a leading = + - @ is defused
/// (a spreadsheet would run it as a formula).
std::string csv_field(std::string const& v) {
  std::string s = (!v.empty() && std::string_view("=+-@").find(v.front()) != std::string_view::npos) ? "'" + v : v;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

} // namespace

void api::get_retention(http_request const&, principal const&, std::string const& case_id, http_responder respond) {
  if (!retention_ || !is_case_id(case_id)) return respond(problem(404, "not-found", "There is no case with this id."));
  auto const cfg = current_config();
  store_.read_summary(case_id, [cfg, respond](boost::system::error_code ec, queue::case_summary c) {
    if (ec) return respond(store_unavailable());
    if (c.fields.empty()) return respond(problem(404, "not-found", "There is no case with this id."));
    respond(json_response(200, retention_json(c, cfg->retention)));
  });
}

void api::put_retention(http_request const& req, principal const& me, std::string const& case_id, http_responder respond) {
  if (!retention_ || !is_case_id(case_id)) return respond(problem(404, "not-found", "There is no case with this id."));
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  for (auto const& [key, value] : j.items()) {
    bool const known = (key == "class" && value.is_string()) || (key == "reason" && value.is_string()) ||
                       (key == "legal_hold" && value.is_boolean());
    if (!known)
      return respond(invalid_request("The request can hold a class, legal_hold (true or false) and a reason.",
                                     {{key, key == "class" || key == "reason" ? "a string" : key == "legal_hold" ? "true or false" : "unknown field"}}));
  }
  auto const cfg = current_config();
  auto const cls = json_fields::text(j, "class");
  auto const reason = json_fields::text(j, "reason");
  if (!j.contains("class") && !j.contains("legal_hold"))
    return respond(invalid_request("Say what changes: a class, legal_hold, or both.", {{"class", "a class id"}}));
  if (j.contains("class") && !cfg->retention.find(cls))
    return respond(invalid_request("There is no such retention class.", {{"class", "one of the configured classes"}}));
  if (reason.empty() || reason.size() > max_reason_bytes || !is_valid_utf8(reason))
    return respond(invalid_request("Give the reason for the change; it is kept with the case's history.",
                                   {{"reason", "1 to " + std::to_string(max_reason_bytes) + " bytes of text"}}));
  std::optional<bool> const hold = j.contains("legal_hold") ? std::optional<bool>(j["legal_hold"].is_boolean() && j["legal_hold"] == true) : std::nullopt;
  store_.read_summary(case_id, [this, me, case_id, cls, reason, hold, cfg, respond](boost::system::error_code ec, queue::case_summary c) {
    if (ec) return respond(store_unavailable());
    if (c.fields.empty()) return respond(problem(404, "not-found", "There is no case with this id."));
    auto const now = clock_().time_since_epoch().count();
    auto answer = [this, case_id, cfg, respond](boost::system::error_code ec, queue::action_result r) {
      if (ec) return respond(store_unavailable());
      if (r.status == queue::action_status::not_found) return respond(problem(404, "not-found", "There is no case with this id."));
      if (r.status != queue::action_status::done)
        return respond(problem(409, "conflict", "The case was closed or reopened meanwhile. Load it again."));
      store_.read_summary(case_id, [cfg, respond](boost::system::error_code ec, queue::case_summary c) {
        if (ec) return respond(store_unavailable());
        respond(json_response(200, retention_json(c, cfg->retention)));
      });
    };
    auto choose = [this, me, case_id, cls, reason, c, cfg, now, answer](queue::case_workflow::handler then) {
      if (cls.empty()) return then({}, {});
      auto const closed = non_negative_number(field(c, "closed_at"));
      std::optional<long long> until;
      if (field(c, "state") == "closed" && closed)
        until = calendar::add(timestamp{std::chrono::milliseconds{*closed}}, cfg->retention.find(cls)->term).time_since_epoch().count();
      retention_->choose_class(case_id, cls, reason, me.name, until, field(c, "closed_at"), now, std::move(then));
    };
    choose([this, me, case_id, reason, hold, now, answer](boost::system::error_code ec, queue::action_result r) {
      if (ec || r.status != queue::action_status::done || !hold) return answer(ec, r);
      retention_->hold(case_id, *hold, reason, me.name, now, answer);
    });
  });
}

void api::destruction_list(http_request const& req, principal const& me, http_responder respond) {
  if (!retention_) return respond(problem(404, "not-found", "There is nothing at this path."));
  bool const csv = req.header("accept").find("text/csv") != std::string::npos;
  auto const cursor = query_param(req.query, "cursor").value_or("-");
  if (cursor != "-" && !queue::parse_stream_id(cursor))
    return respond(invalid_request("The cursor is not one Balie gave.", {{"cursor", "a next_cursor from an earlier page"}}));
  auto const cfg = current_config();
  auto label = [cfg](std::string const& cls) {
    auto const* k = cfg->retention.find(cls);
    return k ? k->label : cls;
  };
  auto date = [](std::string const& ms) {
    auto const n = non_negative_number(ms);
    return n ? format_rfc3339(timestamp{std::chrono::milliseconds{*n}}) : std::string{};
  };
  if (!csv) {
    return retention_->destroyed_list(cursor, list_page, [label, date, respond](boost::system::error_code ec, std::vector<queue::destroyed_entry> list) {
      if (ec) return respond(store_unavailable());
      nlohmann::json entries = nlohmann::json::array();
      for (auto& e : list) {
        auto& f = e.fields;
        entries.push_back({{"reference", f["reference"]}, {"inbox", f["inbox"]}, {"class", f["class"]}, {"label", label(f["class"])},
                           {"closed_at", date(f["closed_at"])}, {"destroyed_at", date(f["destroyed_at"])},
                           {"approved_by", f["approved_by"]}, {"reason", f["reason"]}});
      }
      auto const next = list.size() == list_page ? nlohmann::json(list.back().id) : nlohmann::json(nullptr);
      respond(json_response(200, {{"entries", std::move(entries)}, {"next_cursor", next}}));
    });
  }
  // The archivist's export: the whole list, read in batches. It holds no contents; the audit says who took it.
  struct export_state {
    std::string text = "reference,inbox,class,label,closed_at,destroyed_at,approved_by,reason\r\n";
  };
  auto state = std::make_shared<export_state>();
  auto next = std::make_shared<std::function<void(std::string)>>();
  *next = [this, me, state, next, label, date, respond](std::string const& after) {
    retention_->destroyed_list(after, csv_batch, [this, me, state, next, label, date, respond](boost::system::error_code ec,
                                                                                              std::vector<queue::destroyed_entry> list) {
      if (ec) {
        *next = nullptr;  // the function holds itself: let it go
        return respond(store_unavailable());
      }
      for (auto& e : list) {
        auto& f = e.fields;
        for (auto const& v : {f["reference"], f["inbox"], f["class"], label(f["class"]), date(f["closed_at"]), date(f["destroyed_at"]),
                              f["approved_by"], f["reason"]})
          state->text += csv_field(v) + ",";
        state->text.back() = '\r';
        state->text += "\n";
      }
      if (list.size() == csv_batch) return (*next)(list.back().id);
      *next = nullptr;
      auto const now = std::to_string(clock_().time_since_epoch().count());
      store_.audit({{"actor", me.name}, {"action", "destruction-list.export"}, {"at", now}}, [state, respond](boost::system::error_code ec) {
        if (ec) return respond(store_unavailable());
        http_response r;
        r.content_type = "text/csv; charset=utf-8";
        r.body = std::move(state->text);
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"vernietigingslijst.csv\"");
        respond(std::move(r));
      });
    });
  };
  (*next)(cursor);
}

} // namespace balie::gateway
