// Staff search: `GET /api/v1/search?q=` for references and words, `POST` with
// the query in the body for anything (an address must come that way, so no
// address lands in an access log or a URL). Only the caller's inboxes are
// searched, and every result is checked against them again after it is read
// (a case may have moved since). Results: the case a reference names, then
// cases with the address, then cases by the number of query words they
// carry and their newest matching message; paged by offset. Every search is
// audited before it answers (who, what kind, how many found and which cases;
// never the query text). Snippets are cut off the Redis strand.
#include "gateway/api.hpp"
#include "gateway/staff_views.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "queue/case_search.hpp"
#include "search/search_query.hpp"
#include "search/snippet.hpp"
#include "server/problem.hpp"

#include <charconv>
#include <variant>

namespace balie::gateway {
using namespace server;
namespace {

constexpr std::size_t default_results = 20, max_results = 50, max_offset = 200, max_query_bytes = 200;
/// The newest messages a snippet is looked for in.
constexpr std::size_t snippet_messages = 5;

std::optional<std::size_t> small_number(std::string_view s, std::size_t max) {
  std::size_t v = 0;
  auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

/// What the request asks for, or the refusal.
struct search_request {
  std::string q;
  std::size_t offset = 0, limit = default_results;
};

std::variant<search_request, http_response> read_request(http_request const& req) {
  search_request r;
  std::optional<std::string> q, cursor, limit;
  if (req.method == "POST") {
    auto const j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return problem(400, "invalid-json", "The request body must be a JSON object.");
    for (auto const& [key, value] : j.items()) {
      if (key != "q" && key != "cursor" && key != "limit")
        return invalid_request("The request has a field this endpoint does not read.", {{key, "unknown field"}});
      if (key == "limit" ? !value.is_number_unsigned() : !value.is_string())
        return invalid_request("A field has the wrong type.", {{key, key == "limit" ? "a whole number" : "a string"}});
    }
    if (j.contains("q")) q = j["q"].get<std::string>();
    if (j.contains("cursor")) cursor = j["cursor"].get<std::string>();
    if (j.contains("limit")) limit = std::to_string(j["limit"].get<std::uint64_t>());
  } else {
    q = query_param(req.query, "q"), cursor = query_param(req.query, "cursor"), limit = query_param(req.query, "limit");
  }
  if (!q || q->find_first_not_of(" \t") == std::string::npos)
    return problem(400, "invalid-parameter", "Say what to search for: a reference, a name, an address or words.", "q");
  if (q->size() > max_query_bytes || !is_valid_utf8(*q))
    return problem(400, "invalid-parameter", "The search text must be UTF-8 of at most 200 bytes.", "q");
  r.q = std::move(*q);
  if (cursor) {
    auto const n = small_number(*cursor, max_offset);
    if (!n) return problem(400, "invalid-parameter", "The cursor is not valid. Use next_cursor from the last page.", "cursor");
    r.offset = *n;
  }
  if (limit) {
    auto const n = small_number(*limit, max_results);
    if (!n || *n == 0) return problem(400, "invalid-parameter", "The limit must be a number from 1 to 50.", "limit");
    r.limit = *n;
  }
  return r;
}

struct ranked {
  std::string case_id;
  std::string match;  ///< reference, address, words
  int terms = 0;
};

/// The snippet of a hit: around a query word, or the newest message's first line.
std::optional<std::string> snippet_of(queue::found_case const& f, ranked const& r, std::vector<std::string> const& stems) {
  std::optional<std::string> first;
  for (auto const& stored : f.newest) {
    auto const m = stored_case_message(stored);
    if (!m) continue;
    if (r.match == "words") {
      if (m->subject)
        if (auto s = search::snippet(*m->subject, stems)) return s;
      if (auto s = search::snippet(m->text, stems)) return s;
    }
    if (!first && m->direction == direction::inbound && !m->text.empty()) first = search::first_line(m->text, 160);
  }
  return first;
}

} // namespace

void api::search(http_request const& req, principal const& me, http_responder respond) {
  if (!search_) return respond(problem(404, "not-found", "There is nothing at this path."));
  auto request = read_request(req);
  if (auto* refusal = std::get_if<http_response>(&request)) return respond(std::move(*refusal));
  auto const r = std::get<search_request>(std::move(request));
  auto query = search::read_search_query(r.q);
  if (query.address && req.method != "POST")
    return respond(problem(400, "address-in-url",
                           "An email address or phone number is personal data: send it in the body of a POST to /api/v1/search.", "q"));
  auto const cfg = current_config();
  std::vector<std::string> inboxes;
  for (auto const& i : cfg->inboxes)
    if (me.may_see(i.id)) inboxes.push_back(i.id);
  auto const kind = query.reference && query.words.empty() ? "reference" : query.address ? "address" : "words";
  auto tokens = query.address ? std::vector<std::string>{*query.address} : query.words;
  std::size_t const want = r.offset + r.limit + 1;  // one more: is there a next page?

  // 1. the reference, 2. the index, 3. the page's cases, 4. the audit line, 5. snippets off the strand.
  auto ranking = std::make_shared<std::vector<ranked>>();
  auto with_hits = [this, me, r, query, kind, respond, ranking](std::vector<queue::search_hit> hits) mutable {
    for (auto const& h : hits) {
      if (std::any_of(ranking->begin(), ranking->end(), [&](ranked const& x) { return x.case_id == h.case_id; })) continue;
      ranking->push_back({h.case_id, query.address ? "address" : "words", h.matched});
    }
    std::vector<std::string> page;
    for (std::size_t i = r.offset; i < ranking->size() && i < r.offset + r.limit; ++i) page.push_back((*ranking)[i].case_id);
    bool const more = ranking->size() > r.offset + r.limit && r.offset + r.limit <= max_offset;
    search_->read(page, snippet_messages, [this, me, r, query, kind, respond, ranking, more](boost::system::error_code ec,
                                                                                              std::vector<queue::found_case> found) {
      if (ec) return respond(store_unavailable());
      // A case that moved to an inbox the caller cannot see since it was indexed is left out, not shown.
      std::erase_if(found, [&](queue::found_case const& f) {
        auto const inbox = f.summary.fields.find("inbox");
        // A confidential case matched on what it says would tell what it says: left out for whoever may not read it.
        return inbox == f.summary.fields.end() || !me.may_see(inbox->second) || withheld_from(f.summary, me);
      });
      std::string cases;
      for (auto const& f : found) cases += (cases.empty() ? "" : " ") + f.summary.case_id;
      auto const now = clock_().time_since_epoch().count();
      auto const count = std::to_string(found.size());  // not in the call that moves `found` (argument order is unspecified)
      store_.audit({{"actor", me.name}, {"action", "search"}, {"kind", kind}, {"results", count},
                    {"cases", cases}, {"at", std::to_string(now)}},
                   [this, r, query, respond, ranking, more, found = std::move(found)](boost::system::error_code ec) mutable {
                     if (ec) return respond(store_unavailable());
                     off_strand([r, query, respond, ranking, more, found = std::move(found)] {
                       nlohmann::json results = nlohmann::json::array();
                       for (auto const& f : found) {
                         auto const at = std::find_if(ranking->begin(), ranking->end(), [&](ranked const& x) { return x.case_id == f.summary.case_id; });
                         auto const s = snippet_of(f, *at, query.stems);
                         results.push_back({{"case", case_summary_json(f.summary)},
                                            {"match", at->match},
                                            {"terms_matched", at->terms},
                                            {"terms", query.address || at->match == "reference" ? 1 : query.words.size()},
                                            {"snippet", s ? nlohmann::json(*s) : nlohmann::json(nullptr)}});
                       }
                       nlohmann::json body = {{"results", std::move(results)}};
                       body["next_cursor"] = more ? nlohmann::json(std::to_string(r.offset + r.limit)) : nlohmann::json(nullptr);
                       respond(json_response(200, body));
                     });
                   });
    });
  };
  auto with_reference = [this, inboxes, tokens, want, ranking, with_hits, respond](std::string case_id) mutable {
    if (!case_id.empty()) ranking->push_back({case_id, "reference", 1});
    if (tokens.empty()) return with_hits({});
    search_->find(inboxes, tokens, want, [with_hits, respond](boost::system::error_code ec, std::vector<queue::search_hit> hits) mutable {
      if (ec) return respond(store_unavailable());
      with_hits(std::move(hits));
    });
  };
  if (!query.reference) return with_reference({});
  search_->by_reference(*query.reference, [with_reference, respond](boost::system::error_code ec, std::string case_id) mutable {
    if (ec) return respond(store_unavailable());
    with_reference(std::move(case_id));
  });
}

} // namespace balie::gateway
