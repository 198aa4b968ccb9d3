// Saved replies through the API. Admins list, put and delete them
// (/api/v1/replies); every save answers with the plain-language hints on its
// texts (never a refusal for style: a refusal is only for what is wrong).
// Staff get the replies of a case's inbox and the shared ones with the
// variables filled in from that case (/api/v1/cases/{id}/saved-replies):
// {naam} the resident's name, {referentie} the case reference,
// {antwoord_voor} the day promised, {telefoonnummer} the municipality's
// number from the resident texts. Staff edit the text before it is sent.
#include "gateway/api.hpp"
#include "gateway/saved_replies.hpp"
#include "gateway/staff_views.hpp"
#include "calendar/dutch_dates.hpp"
#include "queue/saved_replies.hpp"
#include "server/problem.hpp"

namespace balie::gateway {
using namespace server;
namespace {

std::vector<std::string> inbox_ids_of(config const& cfg) {
  std::vector<std::string> out;
  for (auto const& i : cfg.inboxes) out.push_back(i.id);
  return out;
}

nlohmann::json with_hints(saved_reply const& r, std::map<std::string, std::string> const& jargon) {
  auto j = to_json(r);
  auto hints = plain_language_hints(r.text_nl, jargon);
  j["hints"] = hints_json(hints);
  return j;
}

/// The variables' values for a case, in `language` (nl or en).
std::map<std::string, std::string> case_values(queue::case_summary const& c, config const& cfg, std::string_view language) {
  auto field = [&](char const* name) {
    auto const it = c.fields.find(name);
    return it == c.fields.end() ? std::string{} : it->second;
  };
  std::map<std::string, std::string> v = {{"referentie", field("reference")},
                                          {"telefoonnummer", cfg.texts ? cfg.texts->text("contact.phone_number", language) : ""}};
  auto const name = field("resident_name");
  v["naam"] = name.empty() ? (language == "en" ? "Sir or Madam" : "meneer of mevrouw") : name;
  if (auto const by = field("answer_by"); !by.empty())
    v["antwoord_voor"] = calendar::format_day(timestamp{std::chrono::milliseconds{std::strtoll(by.c_str(), nullptr, 10)}}, language);
  else
    v["antwoord_voor"] = language == "en" ? "as soon as possible" : "zo snel mogelijk";
  return v;
}

/// The replies for `inbox` and the shared ones, the inbox's own first, then by title, filled in from the case.
nlohmann::json filled_replies(std::vector<std::string> const& stored, std::string const& inbox, queue::case_summary const& c,
                              config const& cfg) {
  auto const nl = case_values(c, cfg, "nl"), en = case_values(c, cfg, "en");
  std::vector<saved_reply> replies;
  for (auto const& s : stored)
    if (auto r = stored_saved_reply(s); r && (!r->inbox || *r->inbox == inbox)) replies.push_back(std::move(*r));
  std::sort(replies.begin(), replies.end(), [](auto const& a, auto const& b) {
    return std::pair(a.inbox.has_value(), b.title) > std::pair(b.inbox.has_value(), a.title);
  });
  nlohmann::json list = nlohmann::json::array();
  for (auto const& r : replies) {
    nlohmann::json text = {{"nl", fill_variables(r.text_nl, nl)}};
    if (r.text_en) text["en"] = fill_variables(*r.text_en, en);
    list.push_back({{"id", r.id}, {"title", r.title}, {"shared", !r.inbox}, {"text", std::move(text)}});
  }
  return list;
}

} // namespace

void api::list_saved_replies(http_request const&, principal const&, http_responder respond) {
  if (!saved_replies_) return respond(problem(404, "not-found", "There is nothing at this path."));
  saved_replies_->list([this, respond](boost::system::error_code ec, std::vector<std::string> stored) {
    if (ec) return respond(store_unavailable());
    // Parsing and checking every reply's text: not on the Redis strand that answered.
    off_strand([jargon = current_jargon(), stored = std::move(stored), respond] {
      std::vector<saved_reply> replies;
      for (auto const& s : stored)
        if (auto r = stored_saved_reply(s)) replies.push_back(std::move(*r));
      std::sort(replies.begin(), replies.end(), [](auto const& a, auto const& b) { return a.title < b.title; });
      nlohmann::json list = nlohmann::json::array();
      for (auto const& r : replies) list.push_back(with_hints(r, *jargon));
      respond(json_response(200, {{"replies", std::move(list)}}));
    });
  });
}

void api::put_saved_reply(http_request const& req, principal const& me, std::string const& id, http_responder respond) {
  if (!saved_replies_) return respond(problem(404, "not-found", "There is nothing at this path."));
  if (!is_saved_reply_id(id))
    return respond(problem(400, "invalid-parameter", "A saved reply's id is 1 to 64 of a-z, 0-9 and '-'.", "id"));
  auto const body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  auto read = read_saved_reply(body, id, inbox_ids_of(*current_config()));
  if (auto* problems = std::get_if<field_problems>(&read)) {
    std::vector<invalid_param> params;
    for (auto const& [name, why] : *problems) params.push_back({name, why});
    return respond(invalid_request("The saved reply is not valid.", params));
  }
  auto reply = std::get<saved_reply>(std::move(read));
  reply.updated_by = me.name;
  reply.updated_at_ms = clock_().time_since_epoch().count();
  auto const json = to_json(reply).dump();
  saved_replies_->put(id, json, me.name, reply.updated_at_ms, [this, reply, respond](boost::system::error_code ec, bool created) {
    if (ec) return respond(store_unavailable());
    respond(json_response(created ? 201 : 200, with_hints(reply, *current_jargon())));
  });
}

void api::delete_saved_reply(http_request const&, principal const& me, std::string const& id, http_responder respond) {
  if (!saved_replies_) return respond(problem(404, "not-found", "There is nothing at this path."));
  if (!is_saved_reply_id(id)) return respond(problem(404, "not-found", "There is no saved reply with this id."));
  saved_replies_->remove(id, me.name, clock_().time_since_epoch().count(), [respond](boost::system::error_code ec, bool existed) {
    if (ec) return respond(store_unavailable());
    if (!existed) return respond(problem(404, "not-found", "There is no saved reply with this id."));
    http_response r;
    r.status = 204;
    r.content_type.clear();
    respond(std::move(r));
  });
}

void api::case_saved_replies(http_request const&, principal const& me, std::string const& case_id, http_responder respond) {
  if (!saved_replies_) return respond(problem(404, "not-found", "There is nothing at this path."));
  with_case_access(me, case_id, respond, [this, case_id](std::string const& inbox, bool withheld, http_responder respond) {
    if (withheld) return respond(confidential_refusal());  // saved replies are filled with the case's details
    store_.read_summary(case_id, [this, inbox, respond](boost::system::error_code ec, queue::case_summary c) {
      if (ec) return respond(store_unavailable());
      saved_replies_->list([this, inbox, c = std::move(c), respond](boost::system::error_code ec, std::vector<std::string> stored) mutable {
        if (ec) return respond(store_unavailable());
        // Parsing and filling every reply: not on the Redis strand that answered.
        off_strand([cfg = current_config(), inbox, c = std::move(c), stored = std::move(stored), respond] {
          respond(json_response(200, {{"replies", filled_replies(stored, inbox, c, *cfg)}}));
        });
      });
    });
  });
}

} // namespace balie::gateway
