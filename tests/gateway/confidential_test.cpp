// Confidential cases through a real balied and redis-server: a message that
// names a possible BSN makes its case confidential, from the phone, a chat
// message and a message left on the website alike. Staff whose token lists
// the inbox under `confidential_inboxes` read it; a colleague of the same
// inbox sees that it exists (so nobody falls between two stools) and never
// what it says — not in the list, the case, its files, search, saved
// replies or the events — and may take it, move it or leave a note, but not
// answer or close it unread.
#include "gateway/tokens.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr char const* reader_token = "staff-confidential-reader";  // algemeen and telefoon, confidential ones too
constexpr char const* colleague_token = "staff-colleague-token";    // algemeen and telefoon, not confidential ones
constexpr char const* bsn = "111222333";                            // passes the 11-proef; invented

header_list auth(char const* token) { return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}; }

struct confidential_stack {
  temp_dir files;
  std::unique_ptr<test_stack> s;
  confidential_stack() {
    json tokens = {{"tokens",
                    {{{"name", "demo-reader"}, {"sha256", gateway::sha256_hex(reader_token)}, {"role", "staff"}, {"inboxes", {"algemeen", "telefoon"}},
                      {"confidential_inboxes", {"algemeen", "telefoon"}}},
                     {{"name", "demo-colleague"}, {"sha256", gateway::sha256_hex(colleague_token)}, {"role", "staff"}, {"inboxes", {"algemeen", "telefoon"}}},
                     {{"name", "demo-system"}, {"sha256", gateway::sha256_hex(system_token)}, {"role", "system"}}}}};
    std::ofstream(files.path / "tokens.json") << tokens.dump();
    s = std::make_unique<test_stack>(json{{"auth", {{"tokens_file", (files.path / "tokens.json").string()}}}});
  }
  std::uint16_t port() const { return s->port(); }
  http_reply call(std::string const& method, std::string const& target, char const* token, std::string const& body = {}) {
    return http_call(port(), method, target, auth(token), body);
  }
  std::string phone(std::string const& call_id, std::string const& caller, std::string const& text) {
    json const body = {{"call_id", call_id}, {"caller", caller},
                       {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 2000}, {"text", text}}}}};
    auto const r = call("POST", "/api/v1/transcripts", system_token, body.dump());
    REQUIRE(r.status == 202);
    return json::parse(r.body)["case_id"];
  }
  json listed(char const* token, std::string const& inbox, std::string const& case_id) {
    auto const r = call("GET", "/api/v1/inboxes/" + inbox + "/cases", token);
    REQUIRE(r.status == 200);
    auto const body = json::parse(r.body);  // named: a range over a temporary's member would dangle
    for (auto const& c : body["cases"])
      if (c["id"] == case_id) return c;
    return nullptr;
  }
};

/// None of what the resident said or who they are appears in `body`.
void reveals_nothing(std::string const& body, std::vector<std::string> const& secrets) {
  for (auto const& s : secrets) CHECK_MESSAGE(body.find(s) == std::string::npos, s);
}

} // namespace

TEST_CASE("confidential: a possible BSN makes the case confidential; a colleague without the right sees it exists, never what it says") {
  confidential_stack st;
  stream_reader events(st.port(), "/api/v1/events", {{"Authorization", std::string("Bearer ") + colleague_token}});
  REQUIRE(events.wait_for(": connected"));
  auto const plain = st.phone("call-plain", "+31600000009", "Mijn afvalbak is niet geleegd.");
  auto const secret = st.phone("call-secret", "+31600000001", std::string("Mijn burgerservicenummer is ") + bsn + ", mijn uitkering is gestopt.");
  std::vector<std::string> const secrets = {bsn, "uitkering", "+31600000001", "burgerservicenummer"};

  // Live events name the case, never what it says.
  REQUIRE(events.wait_for(secret));
  reveals_nothing(events.received(), secrets);

  // The reader: everything, marked confidential.
  auto const full = st.listed(reader_token, "telefoon", secret);
  REQUIRE(full.is_object());
  CHECK(full["confidential"] == true);
  CHECK(full["withheld"] == false);
  auto const view = json::parse(st.call("GET", "/api/v1/cases/" + secret, reader_token).body);
  REQUIRE(view["messages"].size() == 1);
  CHECK(view["messages"][0]["text"].get<std::string>().find("uitkering") != std::string::npos);
  CHECK(st.listed(reader_token, "telefoon", plain)["confidential"] == false);

  // The colleague: the case is there, in the list and by id, with nothing of its contents.
  auto const shown = st.listed(colleague_token, "telefoon", secret);
  REQUIRE(shown.is_object());
  CHECK(shown["confidential"] == true);
  CHECK(shown["withheld"] == true);
  CHECK(shown["reference"] == full["reference"]);
  CHECK(shown["subject"].is_null());
  CHECK(shown["resident_name"].is_null());
  CHECK(shown["preview"].is_null());
  CHECK(shown["needs"] == json::array());
  CHECK(shown["message_count"] == 1);
  reveals_nothing(shown.dump(), secrets);
  auto const withheld = st.call("GET", "/api/v1/cases/" + secret, colleague_token);
  REQUIRE(withheld.status == 200);
  auto const wv = json::parse(withheld.body);
  CHECK(wv["withheld"] == true);
  CHECK(wv["messages"] == json::array());
  CHECK(wv["notes"] == json::array());
  CHECK(wv["reply_options"] == json::array());
  CHECK(!wv["inboxes"].empty());  // it can be moved to where someone may read it
  reveals_nothing(withheld.body, secrets);
  // A case without a BSN reads as before.
  CHECK(st.listed(colleague_token, "telefoon", plain)["preview"] == "Mijn afvalbak is niet geleegd.");

  // Files, saved replies, answers and closing: refused with the reason, and what can be done.
  struct refused_request {
    std::string method, target, body;
  };
  for (auto const& q : {refused_request{"GET", "/api/v1/cases/" + secret + "/attachments/" + std::string(64, 'a'), ""},
                        refused_request{"GET", "/api/v1/cases/" + secret + "/saved-replies", ""},
                        refused_request{"POST", "/api/v1/cases/" + secret + "/replies", json{{"text", "Wij bellen u."}}.dump()},
                        refused_request{"POST", "/api/v1/cases/" + secret + "/close", ""}}) {
    CAPTURE(q.target);
    auto const r = st.call(q.method, q.target, colleague_token, q.body);
    CHECK(r.status == 403);
    CHECK(json::parse(r.body)["type"].get<std::string>().find("confidential") != std::string::npos);
    reveals_nothing(r.body, secrets);
  }
  CHECK(json::parse(st.call("GET", "/api/v1/cases/" + secret, reader_token).body)["state"] != "closed");
  // Taking it, and a note for a colleague who may read it, do work; the answer shows nothing more.
  auto const claimed = st.call("POST", "/api/v1/cases/" + secret + "/claim", colleague_token);
  CHECK(claimed.status == 200);
  reveals_nothing(claimed.body, secrets);
  CHECK(st.call("POST", "/api/v1/cases/" + secret + "/release", colleague_token).status == 200);
  CHECK(st.call("POST", "/api/v1/cases/" + secret + "/notes", colleague_token, json{{"text", "Kan iemand met toestemming dit oppakken?"}}.dump()).status == 201);
  CHECK(json::parse(st.call("GET", "/api/v1/cases/" + secret, reader_token).body)["notes"].size() == 1);

  // Search: a match on what it says would say what it says.
  auto const search = [&](char const* token, std::string const& q) {
    auto const r = st.call("GET", "/api/v1/search?q=" + q, token);
    REQUIRE(r.status == 200);
    std::string ids;
    auto const body = json::parse(r.body);
    for (auto const& hit : body["results"]) ids += hit["case"]["id"].get<std::string>() + " ";
    return ids;
  };
  CHECK(search(reader_token, "uitkering").find(secret) != std::string::npos);
  CHECK(search(colleague_token, "uitkering").find(secret) == std::string::npos);
  CHECK(search(colleague_token, full["reference"].get<std::string>()).find(secret) == std::string::npos);
}

TEST_CASE("confidential: a BSN in a chat message or a message left on the website marks the case too") {
  confidential_stack st;
  auto const origin = "http://127.0.0.1:" + std::to_string(st.port());
  auto const left = http_call(st.port(), "POST", "/api/v1/chat/leave-message", {{"Origin", origin}, {"Content-Type", "application/json"}},
                              json{{"text", std::string("Mijn BSN is ") + bsn + "."}, {"reply", {{"channel", "email"}, {"address", "jan@gemeente.test"}}}}.dump());
  REQUIRE(left.status == 202);
  auto const left_reference = json::parse(left.body)["reference"].get<std::string>();
  auto const session = json::parse(http_call(st.port(), "POST", "/api/v1/chat/sessions", {{"Origin", origin}, {"Content-Type", "application/json"}},
                                             json{{"lang", "nl"}}.dump()).body);
  auto const sent = http_call(st.port(), "POST", "/api/v1/chat/messages",
                              {{"Origin", origin}, {"Content-Type", "application/json"}, {"Authorization", "Bearer " + session["token"].get<std::string>()}},
                              json{{"client_id", "c0a80101-0000-4000-8000-000000000001"}, {"text", std::string("Nummer ") + bsn}}.dump());
  REQUIRE_MESSAGE(sent.status == 202, sent.body);
  auto const cases = json::parse(st.call("GET", "/api/v1/inboxes/algemeen/cases", colleague_token).body)["cases"];
  REQUIRE(cases.size() == 2);
  for (auto const& c : cases) {
    CAPTURE(c["id"]);
    CHECK(c["confidential"] == true);
    CHECK(c["withheld"] == true);
    reveals_nothing(c.dump(), {bsn, "jan@gemeente.test"});
  }
  CHECK(std::any_of(cases.begin(), cases.end(), [&](json const& c) { return c["reference"] == left_reference; }));
}
