// The hand-over to Open Klant against a fake that validates every request
// against the pinned OpenAPI document with an independent validator
// (tests/support/fake_openklant.py) and answers like Open Klant, and a real
// Redis: the whole case, a 400 as a dead letter, retries after a server that
// committed and then failed or hung, without duplicates; and through balied.
#include "openklant/exporter.hpp"
#include "queue/case_retention.hpp"
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "queue/redis_connection.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fake_openklant.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <set>

using namespace balie;
using namespace balie::test;
using nlohmann::json;

namespace {

std::string const file_sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";  // sha256("test")

struct handover_stack {
  queue_stack st;
  id_source ids;
  queue::case_workflow flow{st.h->redis};
  fake_openklant ok;
  std::shared_ptr<openklant::exporter> exporter;

  explicit handover_stack(std::string const& kanalen = {}, int page_size = 100, std::string const& token = fake_openklant::token,
                          int max_attempts = 10)
      : ok(kanalen, page_size) {
    openklant::openklant_config c;
    c.enabled = true;
    c.url = ok.url();
    c.token = token;
    c.timeout = std::chrono::seconds(1);
    c.retry_initial = std::chrono::seconds(1);
    c.max_attempts = max_attempts;
    outbox_config outbox;
    outbox.block = std::chrono::milliseconds(200);
    auto own = queue::redis_connection::create(st.h->ioc.get_executor(), options_for(st.server), [](std::string_view, std::string_view) {});
    exporter = std::make_shared<openklant::exporter>(c, outbox, own, st.h->redis, *st.store, flow, system_now);
    exporter->start();
  }
  ~handover_stack() { exporter->stop(); }

  case_message mail(std::string const& case_id, std::string const& reference, std::string const& text) {
    case_message m;
    auto const now = system_now();
    m.id = ids.ulid(now);
    m.case_id = case_id;
    m.reference = reference;
    m.channel = channel::email;
    m.provider = "lmtp";
    m.provider_message_id = m.id + "@burger.test";
    m.occurred_at = m.received_at = now;
    m.resident.addresses = {{"email", "sam@burger.test"}};
    m.subject = "Container kapot";
    m.text = text;
    m.routing = routing_info{"algemeen", priority::normal, std::nullopt, "test"};
    return m;
  }

  /// A case of two mails (one with a file, one with a long text) and a delivered staff reply.
  std::pair<std::string, std::string> email_case() {
    auto const case_id = ids.ulid(system_now());
    auto const reference = ids.case_reference();
    auto first = mail(case_id, reference, "Mijn container is kapot.");
    first.attachments = {{"foto.jpg", "image/jpeg", 4, file_sha, "files/" + file_sha}};
    REQUIRE(!enqueue(*st.store, first, "ok:" + first.id).first);
    auto const second = mail(case_id, reference, std::string(1500, 'x'));
    REQUIRE(!enqueue(*st.store, second, "ok:" + second.id, false).first);
    auto answer = mail(case_id, reference, "We brengen morgen een nieuwe container.");
    answer.direction = direction::outbound;
    answer.provider = "smtp";
    answer.in_reply_to = second.id;
    queue::reply_request const r{case_id, "anna", system_now().time_since_epoch().count(), std::chrono::seconds(60), answer.id, "email",
                                 to_json(answer).dump(), R"({"status":"delivered","attempts":1})", ""};
    auto const [ec, result] = await<std::pair<boost::system::error_code, queue::action_result>>([&](auto done) { flow.reply(r, done); });
    REQUIRE(!ec);
    REQUIRE(result.status == queue::action_status::done);
    return {case_id, reference};
  }

  void close(std::string const& case_id) {
    auto const [ec, r] = await<std::pair<boost::system::error_code, queue::action_result>>([&](auto done) {
      flow.close(case_id, queue::staff_actor{"anna", ""}, system_now().time_since_epoch().count(), std::chrono::hours(1), done, "", true);
    });
    REQUIRE(!ec);
    REQUIRE(r.status == queue::action_status::done);
  }

  queue::redis_reply command(std::vector<std::string> args) {
    auto const [ec, reply] = await<std::pair<boost::system::error_code, queue::redis_reply>>(
        [&](auto done) { st.h->redis->execute(std::move(args), done); });
    REQUIRE(!ec);
    return reply;
  }
  std::map<std::string, std::string> progress(std::string const& case_id) {
    return queue::pairs(command({"HGETALL", queue::keys::case_handover(case_id)}));
  }
  std::size_t handed_over(std::string const& case_id) {
    std::size_t n = 0;
    for (auto const& [field, value] : progress(case_id)) n += field.size() > 5 && field.substr(field.size() - 5) == ":done";
    return n;
  }
  /// Every request the fake took was valid against the OpenAPI document.
  void check_every_request_valid() {
    for (auto const& r : ok.requests()) {
      INFO(r.dump());
      CHECK(r["problems"].empty());
    }
  }
};

std::size_t count_of(json const& objects, char const* collection) { return objects[collection].size(); }

} // namespace

TEST_CASE("a closed case goes to Open Klant whole: a klantcontact per message, its betrokkene, address, onderwerpobject and bijlagen") {
  handover_stack s;
  auto const made = s.email_case();  // no structured binding: lambdas capture these (clang 14)
  auto const& case_id = made.first;
  auto const& reference = made.second;
  s.close(case_id);
  REQUIRE(eventually([&] { return s.handed_over(case_id) == 3; }));
  s.check_every_request_valid();

  auto const o = s.ok.objects();
  REQUIRE(count_of(o, "klantcontacten") == 3);
  CHECK(count_of(o, "betrokkenen") == 3);
  CHECK(count_of(o, "onderwerpobjecten") == 3);
  CHECK(count_of(o, "digitaleadressen") == 3);
  CHECK(count_of(o, "bijlagen") == 2);  // the first mail's file; the second's full text
  auto const progress = s.progress(case_id);
  std::set<std::string> stored;
  for (auto const& [field, uuid] : progress)
    if (field.find(':') == std::string::npos) stored.insert(uuid);
  for (auto const& k : o["klantcontacten"]) {
    CHECK(k["referentienummer"] == reference);
    CHECK(k["kanaal"] == "E-mail");
    CHECK(k["taal"] == "nld");
    CHECK(stored.count(k["uuid"].get<std::string>()) == 1);  // the uuid Open Klant gave is kept per message
    CHECK(k["inhoud"].get<std::string>().size() <= 1000);
  }
  CHECK(o["klantcontacten"][1]["inhoud"] == std::string(997, 'x') + "...");
  std::vector<bool> initiators;
  for (auto const& b : o["betrokkenen"]) initiators.push_back(b["initiator"].get<bool>());
  CHECK(initiators == std::vector<bool>{true, true, false});
  for (auto const& a : o["digitaleadressen"]) CHECK(a["adres"] == "sam@burger.test");
  for (auto const& w : o["onderwerpobjecten"]) CHECK(w["onderwerpobjectidentificator"]["objectId"] == case_id);
  // The reply answers the second mail.
  CHECK(o["onderwerpobjecten"][2]["wasKlantcontact"]["uuid"] == o["klantcontacten"][1]["uuid"]);
  std::set<std::string> identified;
  for (auto const& b : o["bijlagen"]) identified.insert(b["bijlageidentificator"]["objectId"].get<std::string>());
  CHECK(identified.count(file_sha) == 1);

  SUBCASE("reopened, written to and closed again: only the new message goes") {
    auto const [ec, r] = await<std::pair<boost::system::error_code, queue::action_result>>([&](auto done) {
      s.flow.reopen(case_id, queue::staff_actor{"anna", ""}, system_now().time_since_epoch().count(), done);
    });
    REQUIRE(!ec);
    auto const later = s.mail(case_id, reference, "Hij is er nog niet.");
    REQUIRE(!enqueue(*s.st.store, later, "ok:" + later.id, false).first);
    s.close(case_id);
    REQUIRE(eventually([&] { return s.handed_over(case_id) == 4; }));
    CHECK(count_of(s.ok.objects(), "klantcontacten") == 4);
    s.check_every_request_valid();
  }
}

TEST_CASE("a 400 from Open Klant makes the case a dead letter that names the field, and nothing half-made stays unnoticed") {
  handover_stack s("E-mailformulier,Telefoon", 100);  // the municipality's list has no "E-mail"
  auto const made = s.email_case();  // no structured binding: lambdas capture these (clang 14)
  auto const& case_id = made.first;
  s.close(case_id);
  auto const dead = std::string(queue::keys::dead_letters(queue::keys::handover_channel));
  REQUIRE(eventually([&] { return s.command({"XLEN", dead}).integer == 1; }));
  auto const entry = s.command({"XRANGE", dead, "-", "+"});
  auto const fields = queue::pairs(entry.elements.at(0).elements.at(1));
  CHECK(fields.at("case_id") == case_id);
  CHECK(fields.at("reason") == "POST /maak-klantcontact: Open Klant refused it (400): klantcontact.kanaal (invalid)");
  CHECK(count_of(s.ok.objects(), "klantcontacten") == 0);
  CHECK(s.handed_over(case_id) == 0);
  CHECK(s.exporter->health().state == "up");  // Open Klant answered; this contact is what it refused
  // The dead letter is the case's: its destruction finds it.
  CHECK(s.command({"SCARD", queue::keys::case_entries(case_id)}).integer >= 1);
}

TEST_CASE("destroying a handed-over case takes its hand-over record, its outbox entry and its dead letter with it") {
  handover_stack s("E-mailformulier", 100);  // refused: it becomes a dead letter
  auto const made = s.email_case();
  auto const& refused = made.first;
  queue::case_retention retention(s.st.h->redis);
  auto const out = std::string(queue::keys::outbound(queue::keys::handover_channel));
  auto const dead = std::string(queue::keys::dead_letters(queue::keys::handover_channel));
  s.close(refused);
  REQUIRE(eventually([&] { return s.command({"XLEN", dead}).integer == 1; }));
  REQUIRE(s.command({"XLEN", out}).integer == 1);
  // The hash as an interrupted hand-over leaves it, on the refused case.
  s.command({"HSET", queue::keys::case_handover(refused), "m", "7b0a4bd9-3e43-4a5c-9b8e-1f6b2a1c0d11"});
  auto const [ec, r] = await<std::pair<boost::system::error_code, queue::destroy_result>>(
      [&](auto done) { retention.destroy(refused, system_now().time_since_epoch().count(), "privacy-officer", done); });
  REQUIRE(!ec);
  CHECK(r.status == queue::destroy_status::destroyed);
  CHECK(s.command({"EXISTS", queue::keys::case_handover(refused)}).integer == 0);
  CHECK(s.command({"XLEN", out}).integer == 0);
  CHECK(s.command({"XLEN", dead}).integer == 0);
}

TEST_CASE("Open Klant committed, then failed: the retry finds what was made, over several pages, and makes nothing twice") {
  handover_stack s({}, 1);  // one klantcontact per page: the lookup must page
  s.ok.fault({{"method", "POST"}, {"path", "/maak-klantcontact"}, {"mode", "fail-after-commit"}, {"times", 1}, {"status", 500}});
  s.ok.fault({{"method", "POST"}, {"path", "/bijlagen"}, {"mode", "fail-after-commit"}, {"times", 1}, {"status", 502}});
  s.ok.fault({{"method", "POST"}, {"path", "/digitaleadressen"}, {"mode", "fail-after-commit"}, {"times", 1}, {"status", 503}});
  auto const made = s.email_case();  // no structured binding: lambdas capture these (clang 14)
  auto const& case_id = made.first;
  auto const& reference = made.second;
  // Another contact about the case, registered by hand at another moment, is not taken for one of Balie's.
  auto const by_hand = http_call(s.ok.port(), "POST", "/klantinteracties/api/v1/klantcontacten",
                                 {{"Authorization", std::string("Token ") + fake_openklant::token}, {"Content-Type", "application/json"}},
                                 json{{"kanaal", "E-mail"}, {"onderwerp", "Eerder contact"}, {"taal", "nld"}, {"vertrouwelijk", false},
                                      {"referentienummer", reference}, {"plaatsgevondenOp", "2026-11-01T09:00:00Z"}}
                                     .dump());
  REQUIRE(by_hand.status == 201);
  auto const by_hand_uuid = json::parse(by_hand.body)["uuid"].get<std::string>();
  s.close(case_id);
  REQUIRE(eventually([&] { return s.handed_over(case_id) == 3; }, std::chrono::seconds(60)));
  s.check_every_request_valid();
  auto const o = s.ok.objects();
  CHECK(count_of(o, "klantcontacten") == 4);
  for (auto const& [field, uuid] : s.progress(case_id)) CHECK(uuid != by_hand_uuid);
  CHECK(count_of(o, "betrokkenen") == 3);
  CHECK(count_of(o, "digitaleadressen") == 3);
  CHECK(count_of(o, "bijlagen") == 2);
  bool looked_up = false, paged = false;
  for (auto const& r : s.ok.requests())
    if (r["method"] == "GET" && r["path"] == "/klantcontacten") {
      looked_up = looked_up || r["query"]["referentienummer"] == json::array({reference});
      paged = paged || r["query"].value("page", json::array()) == json::array({"2"});
    }
  CHECK(looked_up);
  CHECK(paged);
}

TEST_CASE("a hanging Open Klant: the call times out, health says down, and the retry completes without duplicates") {
  handover_stack s;
  s.ok.fault({{"method", "POST"}, {"path", "/maak-klantcontact"}, {"mode", "hang-after-commit"}, {"times", 1}});
  auto const made = s.email_case();  // no structured binding: lambdas capture these (clang 14)
  auto const& case_id = made.first;
  s.close(case_id);
  REQUIRE(eventually([&] { return s.exporter->health().state == "down"; }));
  CHECK(s.exporter->health().reason.find("no answer") != std::string::npos);
  REQUIRE(eventually([&] { return s.handed_over(case_id) == 3; }, std::chrono::seconds(60)));
  CHECK(count_of(s.ok.objects(), "klantcontacten") == 3);
  CHECK(s.exporter->health().state == "up");
  s.ok.clear_faults();
}

TEST_CASE("a refused token: nothing is made, health says bad-credentials, and the case waits (no dead letter)") {
  handover_stack s({}, 100, "not-the-token");
  auto const made = s.email_case();  // no structured binding: lambdas capture these (clang 14)
  auto const& case_id = made.first;
  s.close(case_id);
  REQUIRE(eventually([&] { return s.exporter->health().state == "bad-credentials"; }));
  CHECK(count_of(s.ok.objects(), "klantcontacten") == 0);
  CHECK(s.command({"XLEN", std::string(queue::keys::dead_letters(queue::keys::handover_channel))}).integer == 0);
}

TEST_CASE("balied hands a closed case to Open Klant when configured, and shows its state with the sources") {
  fake_openklant ok("Telefoon,E-mail");
  temp_dir secrets;
  auto const token_file = secrets.path / "openklant-token";
  std::ofstream(token_file) << fake_openklant::token << "\n";
  test_stack s(json{{"openklant", {{"url", ok.url()}, {"token", {{"file", token_file.string()}}}, {"timeout_seconds", 2}}}});
  auto const headers = std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer system-demo-token"},
                                                                        {"Content-Type", "application/json"}};
  auto const made = http_call(s.port(), "POST", "/api/v1/transcripts", headers,
                              json{{"call_id", "ok-1"}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}
                                  .dump());
  REQUIRE(made.status < 300);
  auto const case_id = json::parse(made.body)["case_id"].get<std::string>();
  auto const closed = http_call(s.port(), "POST", "/api/v1/cases/" + case_id + "/close", {{"Authorization", "Bearer staff-demo-token"}});
  REQUIRE(closed.status < 300);
  REQUIRE(eventually([&] { return count_of(ok.objects(), "klantcontacten") == 1; }));
  auto const o = ok.objects();
  CHECK(o["klantcontacten"][0]["kanaal"] == "Telefoon");
  CHECK(o["digitaleadressen"].empty());  // the transcript's caller is unknown here
  REQUIRE(eventually([&] {
    auto const ready = json::parse(http_call(s.port(), "GET", "/readyz").body);
    return ready["sources"].value("openklant", "") == "up";
  }));
  for (auto const& r : ok.requests()) {
    INFO(r.dump());
    CHECK(r["problems"].empty());
  }
}
