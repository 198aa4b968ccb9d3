// Residents' rights (AVG articles 15 and 17), for a token with the `privacy`
// role. Each request names the resident by an address in its body, never a
// URL — an email address in any case, a phone number in any Dutch notation,
// a Matrix ID — and finds every case, in every inbox, in which that address
// took part, through the same address index as staff search (keys named by
// the address's SHA-256, never the address). A web chat has no address the
// resident knows: a `BL-` reference of one of its cases finds the whole
// conversation's cases (any other reference: that one case).
//  - `POST /api/v1/residents/search`: the cases (reference, inbox, state,
//    channel, times, confidential), not what they say.
//  - `POST /api/v1/residents/export`: one tar archive for the resident — per
//    case a folder with `zaak.json` (the case and its case-messages and notes)
//    and the files they sent — and a README in plain Dutch.
//  - `POST /api/v1/residents/erase` (with a reason): destroys, with the
//    destruction job's own script and on the same destruction list, each of
//    the resident's cases that no duty keeps, and reports every case kept and why:
//    still open, under legal hold, or of a class the Archiefwet keeps.
// Every request is audited with who and which cases, never the address.
#include "gateway/api.hpp"
#include "gateway/retention_config.hpp"
#include "gateway/staff_views.hpp"
#include "gateway/tar_archive.hpp"
#include "channels/attachment_store.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "queue/case_retention.hpp"
#include "queue/case_search.hpp"
#include "search/index_terms.hpp"
#include "search/search_query.hpp"
#include "server/problem.hpp"

#include <fstream>

namespace balie::gateway {
using namespace server;
namespace {

/// More cases than this for one address: the answer says it is cut, and the officer narrows it with staff.
constexpr std::size_t max_cases = 1000;
constexpr std::size_t max_address_bytes = 320;
constexpr std::size_t max_reason_bytes = 500;
/// An export larger than this is refused rather than built in memory; the officer exports with staff's help.
constexpr std::size_t max_export_bytes = std::size_t{200} * 1024 * 1024;

/// A file's name inside the archive: short, plain ASCII, never a path.
std::string archive_name(std::string const& filename, std::string const& sha256) {
  std::string safe;
  for (unsigned char c : filename)
    if (safe.size() < 40) safe += (std::isalnum(c) || c == '.' || c == '-' || c == '_') ? static_cast<char>(c) : '_';
  while (!safe.empty() && safe.front() == '.') safe.erase(0, 1);
  return sha256.substr(0, 8) + "-" + (safe.empty() ? "bestand" : safe);
}

constexpr std::string_view export_readme =
    "Uw gegevens bij de gemeente\n"
    "===========================\n\n"
    "U vroeg welke gegevens de gemeente over u heeft in Balie, het systeem voor uw berichten aan de gemeente.\n"
    "In dit bestand staat per zaak een map met de naam van het zaaknummer (bijvoorbeeld BL-7K3M9Q).\n\n"
    "In elke map staat:\n"
    "- zaak.json: de zaak, al uw berichten, de antwoorden van de gemeente en de notities van medewerkers.\n"
    "- de map bestanden: de bestanden die u stuurde, zoals foto's en brieven.\n\n"
    "zaak.json kunt u openen met een teksteditor of een webbrowser.\n"
    "Hebt u vragen? Bel de gemeente of kom langs bij de balie. Noem dan het zaaknummer.\n";

} // namespace

void api::resident_cases(http_request const& req, std::vector<std::string> const& extra_fields, http_responder respond,
                         std::function<void(nlohmann::json body, std::vector<queue::found_case>, bool cut, http_responder)> then) {
  if (!search_) return respond(problem(404, "not-found", "There is nothing at this path."));
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return respond(problem(400, "invalid-json", "The request body must be a JSON object."));
  for (auto const& [key, value] : j.items()) {
    bool const known = key == "address" || std::find(extra_fields.begin(), extra_fields.end(), key) != extra_fields.end();
    if (!known || !value.is_string())
      return respond(invalid_request("The request holds the address" + std::string(extra_fields.empty() ? "" : " and a reason") + ", as text.",
                                     {{key, known ? "a string" : "unknown field"}}));
  }
  auto const text = json_fields::text(j, "address");
  if (text.empty() || text.size() > max_address_bytes || !is_valid_utf8(text))
    return respond(invalid_request("Give the resident's address.", {{"address", "an email address, phone number or Matrix ID"}}));
  auto const query = search::read_search_query(text);
  if (!query.address && !query.reference)
    return respond(invalid_request("This is not an address Balie keeps.",
                                   {{"address", "an email address, phone number, Matrix ID, or a chat's BL- reference"}}));
  // The cases found, read and handed on.
  auto answer = [this, j = std::move(j), respond, then = std::move(then)](std::vector<std::string> ids, bool cut) mutable {
    search_->read(ids, 0, [j = std::move(j), respond, cut, then = std::move(then)](boost::system::error_code ec,
                                                                                      std::vector<queue::found_case> found) mutable {
      if (ec) return respond(store_unavailable());
      std::erase_if(found, [](queue::found_case const& f) { return f.summary.fields.empty(); });  // gone since it was indexed
      then(std::move(j), std::move(found), cut, respond);
    });
  };
  auto by_token = [this, respond](std::string const& token, auto answer) {
    std::vector<std::string> inboxes;
    for (auto const& i : current_config()->inboxes) inboxes.push_back(i.id);
    search_->find(inboxes, {token}, max_cases + 1, [respond, answer = std::move(answer)](boost::system::error_code ec, std::vector<queue::search_hit> hits) mutable {
      if (ec) return respond(store_unavailable());
      bool const cut = hits.size() > max_cases;
      if (cut) hits.resize(max_cases);
      std::vector<std::string> ids;
      for (auto const& h : hits) ids.push_back(h.case_id);
      answer(std::move(ids), cut);
    });
  };
  if (query.address) return by_token(*query.address, std::move(answer));
  // A chat has no address of its own: its reference finds its conversation, and so every case of that conversation.
  search_->by_reference(*query.reference, [this, respond, by_token, answer = std::move(answer)](boost::system::error_code ec, std::string case_id) mutable {
    if (ec) return respond(store_unavailable());
    if (case_id.empty()) return answer({}, false);
    store_.read_summary(case_id, [respond, by_token, case_id, answer = std::move(answer)](boost::system::error_code ec, queue::case_summary c) mutable {
      if (ec) return respond(store_unavailable());
      auto const conversation = field(c, "conversation_id");
      if (conversation.empty()) return answer({case_id}, false);
      by_token(search::address_token(conversation), std::move(answer));
    });
  });
}

void api::audit_resident_request(principal const& me, std::string const& action, std::vector<std::pair<std::string, std::string>> extra,
                                 http_responder respond, std::function<void(http_responder)> then) {
  extra.insert(extra.begin(), {{"actor", me.name}, {"action", action}});
  extra.emplace_back("at", std::to_string(clock_().time_since_epoch().count()));
  store_.audit(std::move(extra), [respond, then = std::move(then)](boost::system::error_code ec) {
    if (ec) return respond(store_unavailable());
    then(respond);
  });
}

void api::residents_search(http_request const& req, principal const& me, http_responder respond) {
  resident_cases(req, {}, respond, [this, me](nlohmann::json, std::vector<queue::found_case> found, bool cut, http_responder respond) {
    std::string cases;
    for (auto const& f : found) cases += (cases.empty() ? "" : " ") + f.summary.case_id;
    auto const count = std::to_string(found.size());  // not in the call that moves `found` (argument order is unspecified)
    audit_resident_request(me, "residents.search", {{"results", count}, {"cases", cases}}, respond,
                           [this, cut, found = std::move(found)](http_responder respond) mutable {
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
}

void api::residents_export(http_request const& req, principal const& me, http_responder respond) {
  resident_cases(req, {}, respond, [this, me](nlohmann::json, std::vector<queue::found_case> found, bool cut, http_responder respond) {
    if (cut) return respond(problem(413, "too-many-cases", "This address took part in more than 1000 cases. Export them with the records team."));
    struct gathering {
      std::vector<queue::case_record> cases;
      std::vector<std::string> ids;
      std::size_t next = 0;
    };
    auto g = std::make_shared<gathering>();
    for (auto const& f : found) g->ids.push_back(f.summary.case_id);
    auto cfg = current_config();
    // Read one case after another (each up to max_case_messages), then build the archive off the strand.
    auto step = std::make_shared<std::function<void()>>();
    // Each pending read holds the step; the step itself holds only a weak reference, so the chain frees itself.
    *step = [this, me, g, weak = std::weak_ptr(step), cfg, respond] {
      if (g->next == g->ids.size()) {
        return off_strand([this, me, g, cfg, respond] {
          tar_archive tar;
          auto const now_s = clock_().time_since_epoch().count() / 1000;
          tar.add("LEESMIJ.txt", export_readme, now_s);
          std::string cases;
          for (auto const& c : g->cases) {
            auto const folder = field(c.summary, "reference").empty() ? c.summary.case_id : field(c.summary, "reference");
            nlohmann::json messages = nlohmann::json::array(), notes = nlohmann::json::array();
            for (auto const& m : c.messages) messages.push_back(nlohmann::json::parse(m.json, nullptr, false));
            for (auto const& n : c.notes) notes.push_back({{"author", n.author}, {"text", n.text}, {"created_at", time_json(n.created_ms)}});
            auto const s = case_summary_json(c.summary);
            nlohmann::json const zaak = {{"reference", s["reference"]}, {"inbox", s["inbox"]}, {"state", s["state"]},
                                         {"channel", s["channel"]}, {"created_at", s["created_at"]}, {"updated_at", s["updated_at"]},
                                         {"messages", std::move(messages)}, {"notes", std::move(notes)}};
            tar.add(folder + "/zaak.json", zaak.dump(2, ' ', false, nlohmann::json::error_handler_t::replace), now_s);
            for (auto const& stored : c.messages) {
              auto const m = stored_case_message(stored);
              if (!m || m->direction != direction::inbound) continue;
              for (auto const& a : m->attachments) {
                if (a.sha256.size() != 64) continue;  // announced, never fetched: named in zaak.json only
                auto const& dir = m->channel == balie::channel::messenger ? cfg->messenger.attachment_dir : cfg->email.attachment_dir;
                std::ifstream in(channels::attachment_store(dir).path_of_digest(a.sha256), std::ios::binary);
                if (!in) continue;
                std::string bytes{std::istreambuf_iterator<char>(in), {}};
                if (tar.size() + bytes.size() > max_export_bytes)
                  return respond(problem(413, "export-too-large", "The export would be larger than 200 MB. Export it with the records team."));
                tar.add(folder + "/bestanden/" + archive_name(a.filename, a.sha256), bytes, now_s);
              }
            }
            cases += (cases.empty() ? "" : " ") + c.summary.case_id;
          }
          auto const count = std::to_string(g->cases.size());
          auto archive = std::make_shared<std::string>(std::move(tar).finish());
          audit_resident_request(me, "residents.export", {{"results", count}, {"cases", cases}}, respond, [archive](http_responder respond) {
            http_response r;
            r.content_type = "application/x-tar";
            r.body = std::move(*archive);
            r.headers.emplace_back("Content-Disposition", "attachment; filename=\"inzageverzoek.tar\"");
            r.headers.emplace_back("Cache-Control", "no-store");
            respond(std::move(r));
          });
        });
      }
      auto const id = g->ids[g->next++];
      store_.read_case(id, max_case_messages, [g, step = weak.lock(), respond](boost::system::error_code ec, queue::case_record c) {
        if (ec) return respond(store_unavailable());
        if (!c.summary.fields.empty()) g->cases.push_back(std::move(c));
        (*step)();
      });
    };
    (*step)();
  });
}

void api::residents_erase(http_request const& req, principal const& me, http_responder respond) {
  if (!retention_) return respond(problem(404, "not-found", "There is nothing at this path."));
  resident_cases(req, {"reason"}, respond, [this, me](nlohmann::json body, std::vector<queue::found_case> found, bool cut, http_responder respond) {
    auto const reason = json_fields::text(body, "reason");
    if (reason.empty() || reason.size() > max_reason_bytes || !is_valid_utf8(reason))
      return respond(invalid_request("Give the reason for the erasure, such as the date of the resident's request.",
                                     {{"reason", "1 to " + std::to_string(max_reason_bytes) + " bytes of text"}}));
    if (cut) return respond(problem(413, "too-many-cases", "This address took part in more than 1000 cases. Erase them with the records team."));
    auto const cfg = current_config();
    struct erasing {
      nlohmann::json destroyed = nlohmann::json::array();
      nlohmann::json kept = nlohmann::json::array();
      std::vector<queue::case_summary> todo;
      std::string destroyed_ids, kept_ids;
    };
    auto e = std::make_shared<erasing>();
    auto keep = [&e](queue::case_summary const& c, std::string const& why, std::string const& explanation) {
      e->kept.push_back({{"reference", field(c, "reference")}, {"inbox", field(c, "inbox")}, {"state", field(c, "state")},
                         {"why", why}, {"explanation", explanation}});
      e->kept_ids += (e->kept_ids.empty() ? "" : " ") + c.case_id;
    };
    // What no duty keeps: closed, not held, of a class that may be erased on request.
    for (auto const& f : found) {
      auto const& c = f.summary;
      auto const chosen = cfg->retention.class_for(field(c, "retention_class"), field(c, "topic"), field(c, "inbox"));
      auto const* cls = cfg->retention.find(chosen);
      if (field(c, "state") != "closed")
        keep(c, "open", "De zaak loopt nog. Als de zaak klaar is, kan hij worden gewist.");
      else if (field(c, "legal_hold") == "1")
        keep(c, "legal-hold", "De zaak moet bewaard blijven: " + field(c, "legal_hold_reason"));
      else if (!cls || !cls->erasable_on_request)
        keep(c, "archive-duty", "De Archiefwet schrijft voor dat de gemeente deze zaak (" + (cls ? cls->label : chosen) + ") " +
                                    (cls ? calendar::to_string(cls->term) : "") + " na afsluiten bewaart. Daarna wordt hij vernietigd.");
      else e->todo.push_back(c);
    }
    auto step = std::make_shared<std::function<void()>>();
    // As in the export: each pending destruction holds the step, the step only a weak reference.
    auto also_kept = nlohmann::json::array(
        {{{"what", "sms-opt-out"}, {"why", "A number that asked for no more SMS stays on the list, so that the wish is respected."}},
         {{"what", "audit"}, {"why", "Who read or changed which case is kept for its own term (default two years), without contents."}},
         {{"what", "destruction-list"},
          {"why", "The Archiefwet requires a list of what was destroyed: reference and dates, without contents."}}});
    if (cfg->openklant.enabled)
      also_kept.push_back({{"what", "openklant"},
                           {"why", "Closed cases were handed over to Open Klant as klantcontacten (by their BL- reference). "
                                   "Balie does not erase them there: ask Open Klant's administrator."}});
    *step = [this, me, e, weak = std::weak_ptr(step), reason, also_kept, respond] {
      if (e->todo.empty()) {
        return audit_resident_request(
            me, "residents.erase", {{"reason", reason}, {"destroyed", e->destroyed_ids}, {"kept", e->kept_ids}}, respond,
            [e, also_kept](http_responder respond) {
              respond(json_response(200, {{"destroyed", e->destroyed},
                                          {"kept", e->kept},
                                          {"files", "Files no other case refers to are removed from disk by the next destruction run."},
                                          {"also_kept", also_kept}}));
            });
      }
      auto const c = e->todo.back();
      e->todo.pop_back();
      auto const now = clock_().time_since_epoch().count();
      retention_->destroy(c.case_id, now, me.name, [e, step = weak.lock(), c, respond](boost::system::error_code ec, queue::destroy_result r) {
        if (ec) return respond(store_unavailable());
        if (r.status == queue::destroy_status::destroyed) {
          e->destroyed.push_back({{"reference", field(c, "reference")}, {"inbox", field(c, "inbox")}});
          e->destroyed_ids += (e->destroyed_ids.empty() ? "" : " ") + c.case_id;
        } else if (r.status == queue::destroy_status::kept) {
          e->kept.push_back({{"reference", field(c, "reference")}, {"inbox", field(c, "inbox")}, {"state", "changed"},
                             {"why", "changed"}, {"explanation", "De zaak veranderde tijdens het wissen (heropend of bewaard). Probeer het opnieuw."}});
          e->kept_ids += (e->kept_ids.empty() ? "" : " ") + c.case_id;
        }
        (*step)();
      });
    };
    (*step)();
  });
}

} // namespace balie::gateway
