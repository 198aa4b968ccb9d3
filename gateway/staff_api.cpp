// The first staff read path: inboxes, their cases, one case with its
// messages. Staff see only the inboxes on their token; a case in another
// inbox answers 403 without saying anything about the case. Every case read
// is written to the audit stream first: no audit line, no read.
#include "gateway/api.hpp"

#include "channels/time_format.hpp"
#include "gateway/problem.hpp"

#include <charconv>

namespace balie::gateway {
namespace {

/// Paging bounds: enough for a screen, small enough to answer fast.
constexpr std::size_t default_page = 25;
constexpr std::size_t max_page = 100;
/// Longest conversation served in one response.
constexpr std::size_t max_case_messages = 1000;

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto const amp = query.find('&');
    auto const pair = query.substr(0, amp);
    auto const eq = pair.find('=');
    if (pair.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return std::nullopt;
}

std::optional<long long> parse_number(std::string const& s) {
  long long v = 0;
  auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

bool is_case_id(std::string_view id) {
  if (id.size() != 26) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U'))) return false;
  return true;
}

nlohmann::json case_json(queue::case_summary const& c) {
  auto field = [&](char const* k) {
    auto it = c.fields.find(k);
    return it == c.fields.end() ? std::string{} : it->second;
  };
  auto time = [&](char const* k) -> nlohmann::json {
    auto const ms = parse_number(field(k));
    if (!ms) return nullptr;
    return format_rfc3339(timestamp{std::chrono::milliseconds{*ms}});
  };
  return {{"id", c.case_id},
          {"reference", field("reference")},
          {"state", field("state")},
          {"inbox", field("inbox")},
          {"channel", field("channel")},
          {"subject", field("subject")},
          {"message_count", parse_number(field("messages")).value_or(0)},
          {"created_at", time("created_at")},
          {"updated_at", time("updated_at")}};
}

http_response store_unavailable() {
  return unavailable("temporarily-unavailable", "The case store cannot be reached right now. Try again in a moment.");
}

} // namespace

void api::list_inboxes(http_request const&, principal const& me, http_responder respond) {
  auto const cfg = current_config();
  std::vector<std::string> ids;
  std::vector<std::string> names;
  for (auto const& inbox : cfg->inboxes)
    if (me.may_see(inbox.id)) ids.push_back(inbox.id), names.push_back(inbox.name);
  store_.count_cases(ids, [ids, names, respond](boost::system::error_code ec, std::vector<long long> counts) {
    if (ec) return respond(store_unavailable());
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < ids.size(); ++i) list.push_back({{"id", ids[i]}, {"name", names[i]}, {"cases", counts[i]}});
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
    auto const n = parse_number(*v);
    if (!n || *n < 1 || *n > static_cast<long long>(max_page))
      return respond(problem(400, "invalid-parameter", "The limit must be a number from 1 to 100.", "limit"));
    limit = static_cast<std::size_t>(*n);
  }
  long long cursor = 0;
  if (auto v = query_param(req.query, "cursor")) {
    auto const n = parse_number(*v);
    if (!n) return respond(problem(400, "invalid-parameter", "The cursor is not valid. Use next_cursor from the last page.", "cursor"));
    cursor = *n;
  }
  store_.list_cases(inbox, limit, cursor, [inbox, respond](boost::system::error_code ec, std::vector<queue::case_summary> cases, long long next) {
    if (ec) return respond(store_unavailable());
    nlohmann::json list = nlohmann::json::array();
    for (auto const& c : cases) list.push_back(case_json(c));
    nlohmann::json body = {{"inbox", inbox}, {"cases", std::move(list)}};
    body["next_cursor"] = next ? nlohmann::json(std::to_string(next)) : nlohmann::json(nullptr);
    respond(json_response(200, body));
  });
}

void api::get_case(http_request const&, principal const& me, std::string const& case_id, http_responder respond) {
  if (!is_case_id(case_id)) return respond(problem(404, "not-found", "There is no case with this id."));
  auto const now = clock_();
  store_.read_case(case_id, max_case_messages, [this, me, case_id, now, respond](boost::system::error_code ec, queue::case_summary c,
                                                                                  std::vector<queue::stored_message> messages) {
    if (ec) return respond(store_unavailable());
    auto const inbox = c.fields.count("inbox") ? c.fields.at("inbox") : std::string{};
    if (c.fields.empty()) return respond(problem(404, "not-found", "There is no case with this id."));
    if (!me.may_see(inbox)) return respond(problem(403, "forbidden", "You have no access to this case."));
    store_.audit({{"actor", me.name}, {"action", "case.read"}, {"case_id", case_id}, {"at", format_rfc3339(now)}},
                 [c = std::move(c), messages = std::move(messages), respond](boost::system::error_code ec) {
                   if (ec) return respond(store_unavailable());
                   auto body = case_json(c);
                   body["messages"] = nlohmann::json::array();
                   for (auto const& m : messages) {
                     auto j = nlohmann::json::parse(m.json, nullptr, false);
                     if (!j.is_discarded()) body["messages"].push_back(std::move(j));
                   }
                   respond(json_response(200, body));
                 });
  });
}

} // namespace balie::gateway
