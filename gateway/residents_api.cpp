// Residents' rights (AVG article 15), for a token with the `privacy` role:
// `POST /api/v1/residents/search {"address": …}` finds every case, in every
// inbox, in which that address took part — an email address in any case, a
// phone number in any Dutch notation, a Matrix ID — through the same address
// index as staff search (keys named by the address's SHA-256, never the
// address). The address comes in the body, never a URL. The answer names the
// cases (reference, inbox, state, channel, times, confidential), not their
// contents; the audit line says who searched and what was found, never the
// address.
#include "gateway/api.hpp"
#include "gateway/staff_views.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "queue/case_search.hpp"
#include "search/search_query.hpp"
#include "server/problem.hpp"

namespace balie::gateway {
using namespace server;
namespace {

/// More cases than this for one address: the answer says it is cut, and the officer narrows it with staff.
constexpr std::size_t max_cases = 1000;
constexpr std::size_t max_address_bytes = 320;

} // namespace

void api::residents_search(http_request const& req, principal const& me, http_responder respond) {
  if (!search_) return respond(problem(404, "not-found", "There is nothing at this path."));
  auto const j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  for (auto const& [key, value] : j.items())
    if (key != "address" || !value.is_string())
      return respond(invalid_request("The request can hold only the address, as text.", {{key, key == "address" ? "a string" : "unknown field"}}));
  auto const text = json_fields::text(j, "address");
  if (text.empty() || text.size() > max_address_bytes || !is_valid_utf8(text))
    return respond(invalid_request("Give the resident's address.", {{"address", "an email address, phone number or Matrix ID"}}));
  auto const query = search::read_search_query(text);
  if (!query.address)
    return respond(invalid_request("This is not an address Balie keeps.", {{"address", "an email address, phone number or Matrix ID"}}));
  std::vector<std::string> inboxes;
  for (auto const& i : current_config()->inboxes) inboxes.push_back(i.id);
  search_->find(inboxes, {*query.address}, max_cases + 1, [this, me, respond](boost::system::error_code ec, std::vector<queue::search_hit> hits) {
    if (ec) return respond(store_unavailable());
    bool const cut = hits.size() > max_cases;
    if (cut) hits.resize(max_cases);
    std::vector<std::string> ids;
    for (auto const& h : hits) ids.push_back(h.case_id);
    search_->read(ids, 0, [this, me, respond, cut](boost::system::error_code ec, std::vector<queue::found_case> found) {
      if (ec) return respond(store_unavailable());
      std::erase_if(found, [](queue::found_case const& f) { return f.summary.fields.empty(); });  // gone since it was indexed
      std::string cases;
      for (auto const& f : found) cases += (cases.empty() ? "" : " ") + f.summary.case_id;
      auto const now = std::to_string(clock_().time_since_epoch().count());
      auto const count = std::to_string(found.size());  // not in the call that moves `found` (argument order is unspecified)
      store_.audit({{"actor", me.name}, {"action", "residents.search"}, {"results", count}, {"cases", cases}, {"at", now}},
                   [this, respond, cut, found = std::move(found)](boost::system::error_code ec) mutable {
                     if (ec) return respond(store_unavailable());
                     off_strand([respond, cut, found = std::move(found)] {
                       nlohmann::json list = nlohmann::json::array();
                       for (auto const& f : found) {
                         auto const s = case_summary_json(f.summary);
                         list.push_back({{"id", s["id"]}, {"reference", s["reference"]}, {"inbox", s["inbox"]}, {"state", s["state"]},
                                         {"channel", s["channel"]}, {"created_at", s["created_at"]}, {"updated_at", s["updated_at"]},
                                         {"confidential", s["confidential"]}});
                       }
                       respond(json_response(200, {{"cases", std::move(list)}, {"cut", cut}}));
                     });
                   });
    });
  });
}

} // namespace balie::gateway
