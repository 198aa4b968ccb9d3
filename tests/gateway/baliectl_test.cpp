// baliectl against a running balied: list, disable with reason and notice,
// enable, history, --json; and what goes wrong, with its exit code: no
// reason (2), the last channel (1, with balied's explanation), a wrong token
// (1), no balied at the address (3), no token (2); the Matrix registration;
// and a privacy officer's search for a resident's cases, their export and
// their erasure with the report of what is kept.
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/mail_servers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

using namespace balie::test;
using nlohmann::json;

namespace {

struct ctl_result {
  int code;
  std::string out;
};

/// What a command printed (stdout and stderr), and its exit code.
ctl_result tool(std::vector<std::string> argv) {
  child_process p;
  p.spawn(argv);
  int const code = p.wait();
  std::string out;
  for (auto const& l : p.lines()) out += l + "\n";
  return {code, out};
}

struct ctl_stack {
  test_stack s;
  std::filesystem::path token_file = s.dir.path / "admin.token";
  explicit ctl_stack(json config = json::object()) : s(std::move(config)) { std::ofstream(token_file) << admin_token << "\n"; }

  ctl_result run(std::vector<std::string> args, std::string const& url = {}) {
    std::vector<std::string> argv = {BALIECTL_PATH, "--url", url.empty() ? "http://127.0.0.1:" + std::to_string(s.port()) : url,
                                     "--token-file", token_file.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return tool(std::move(argv));
  }
};

unsigned transcript(std::uint16_t port) {
  return http_call(port, "POST", "/api/v1/transcripts", {{"Authorization", "Bearer system-demo-token"}, {"Content-Type", "application/json"}},
                   json{{"call_id", "kcc-ctl"}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}.dump())
      .status;
}

} // namespace

TEST_CASE("baliectl lists, disables with a reason and a notice, shows the history, and enables again") {
  ctl_stack c;
  auto r = c.run({"channels", "list"});
  CHECK(r.code == 0);
  CHECK(r.out.find("phone\ton") != std::string::npos);
  CHECK(r.out.find("webchat\ton") != std::string::npos);

  r = c.run({"channels", "disable", "phone", "--reason", "Storing telefooncentrale", "--notice", "Bellen kan even niet."});
  CHECK_MESSAGE(r.code == 0, r.out);
  CHECK(r.out.find("phone\toff") != std::string::npos);
  CHECK(json::parse(http_call(c.s.port(), "GET", "/readyz").body)["channels"]["phone"] == "disabled");

  r = c.run({"--json", "channels", "list"});
  REQUIRE(r.code == 0);
  auto const listed = json::parse(r.out);
  CHECK(listed["channels"][0]["name"] == "phone");
  CHECK(listed["channels"][0]["notice"]["nl"] == "Bellen kan even niet.");
  CHECK(listed["channels"][0]["changed_by"] == "demo-admin");

  r = c.run({"channels", "enable", "phone"});
  CHECK(r.code == 0);
  CHECK(transcript(c.s.port()) == 202);
  r = c.run({"channels", "history", "phone"});
  CHECK(r.code == 0);
  CHECK(r.out.find("off\tby demo-admin\tStoring telefooncentrale") != std::string::npos);
  CHECK(r.out.find("on\tby demo-admin\tswitched on with baliectl") != std::string::npos);
}

TEST_CASE("baliectl says what went wrong, with an exit code per kind") {
  ctl_stack c;
  CHECK(c.run({"channels", "disable", "phone"}).code == 2);  // no reason
  CHECK(c.run({"channels"}).code == 2);
  CHECK(c.run({"inboxes", "list"}).code == 2);
  CHECK(c.run({"channels", "list", "--frobnicate"}).code == 2);
  REQUIRE(c.run({"channels", "disable", "phone", "--reason", "Onderhoud"}).code == 0);
  auto const last = c.run({"channels", "disable", "webchat", "--reason", "Onderhoud"});
  CHECK(last.code == 1);
  CHECK(last.out.find("409") != std::string::npos);
  CHECK(last.out.find("last channel") != std::string::npos);
  CHECK(c.run({"channels", "disable", "fax", "--reason", "x"}).code == 1);

  std::ofstream(c.token_file) << staff_token << "\n";  // not an admin
  auto const forbidden = c.run({"channels", "list"});
  CHECK(forbidden.code == 1);
  CHECK(forbidden.out.find("403") != std::string::npos);
  std::ofstream(c.token_file) << admin_token << "\n";

  auto const nobody = c.run({"channels", "list"}, "http://127.0.0.1:" + std::to_string(free_loopback_port()));
  CHECK(nobody.code == 3);
  CHECK(nobody.out.find("cannot reach balied") != std::string::npos);
  std::filesystem::remove(c.token_file);
  CHECK(c.run({"channels", "list"}).code == 2);  // the token file is gone
}

TEST_CASE("baliectl checks a rule file without changing anything, applies it with a reason, and shows what is in force") {
  ctl_stack c;
  auto const good = c.s.dir.path / "routing.json";
  std::ofstream(good) << R"(// the KCC's rules
{ "default_inbox": "algemeen", "channels": { "phone": "telefoon" },
  "rules": [ { "name": "vergunning", "match": { "words": ["vergunning"] }, "inbox": "vergunningen" } ] })";
  auto const bad = c.s.dir.path / "broken.json";
  std::ofstream(bad) << R"({ "default_inbox": "algemeen", "rules": [ { "name": "x", "match": { "words": ["afval"] }, "inbox": "afval" } ] })";

  auto const checked = c.run({"routing", "check", good.string()});
  CHECK(checked.code == 0);
  CHECK(checked.out.find("valid: 1 rules") != std::string::npos);
  auto const refused = c.run({"routing", "check", bad.string()});
  CHECK(refused.code == 1);
  CHECK(refused.out.find("routing/rules/0/inbox: names no inbox in /inboxes") != std::string::npos);
  CHECK(c.run({"routing", "apply", good.string()}).code == 2);  // no reason
  CHECK(c.run({"routing", "check", (c.s.dir.path / "missing.json").string()}).code == 2);
  CHECK(c.run({"routing", "show"}).out.find("by config") != std::string::npos);  // nothing changed yet

  auto const applied = c.run({"routing", "apply", good.string(), "--reason", "Vergunningen apart"});
  CHECK(applied.code == 0);
  CHECK(applied.out.find("Version 2 by demo-admin") != std::string::npos);
  CHECK(c.run({"routing", "apply", good.string(), "--reason", "Nog eens"}).out.find("in force already") != std::string::npos);
  CHECK(c.run({"routing", "apply", bad.string(), "--reason", "Afval"}).code == 1);
  CHECK(c.run({"routing", "show"}).out.find("Vergunningen apart") != std::string::npos);
}

TEST_CASE("baliectl saves a saved reply and prints its plain-language hints, refuses an unknown variable, lists and deletes") {
  ctl_stack c;
  auto const file = c.s.dir.path / "reply.json";
  std::ofstream(file) << json{{"title", "Container niet geleegd"},
                              {"text", {{"nl", "Beste {naam}, uw container wordt morgen geleegd. Bel {telefoonnummer}."}}}}.dump();
  auto r = c.run({"replies", "put", "container", file.string()});
  CHECK_MESSAGE(r.code == 0, r.out);
  CHECK(r.out.find("Saved container\tshared\tContainer niet geleegd") != std::string::npos);
  CHECK(r.out.find("hint: a passive sentence (\"wordt geleegd\"") != std::string::npos);

  std::ofstream(file) << json{{"title", "Adres"}, {"text", {{"nl", "Wij komen naar {adres}."}}}}.dump();
  r = c.run({"replies", "put", "adres", file.string()});
  CHECK(r.code == 1);
  CHECK(r.out.find("unknown variable {adres}") != std::string::npos);

  r = c.run({"replies", "list"});
  CHECK(r.code == 0);
  CHECK(r.out.find("container\tshared") != std::string::npos);
  CHECK(r.out.find("adres") == std::string::npos);
  r = c.run({"replies", "delete", "container"});
  CHECK(r.code == 0);
  CHECK(r.out.find("Deleted container.") != std::string::npos);
  CHECK(c.run({"replies", "delete", "container"}).code == 1);
  CHECK(c.run({"replies", "put", "container"}).code == 2);
}

TEST_CASE("baliectl matrix registration: fresh tokens into the config's secret files (0600), the homeserver's YAML, and balied takes them") {
  ctl_stack c;
  auto const dir = c.s.dir.path / "matrix";
  std::filesystem::create_directories(dir / "secrets");
  json const matrix = {{"homeserver_url", "http://127.0.0.1:9"}, {"server_name", "gemeente.test"},
                       {"hs_token", {{"file", "secrets/hs-token"}}}, {"as_token", {{"file", "secrets/as-token"}}}};
  json const config = {{"channels", {{"messenger", {{"public_base_url", "https://balie.gemeente.test"}, {"matrix", matrix}}}}}};
  std::ofstream(dir / "balie.json") << config.dump(2);
  auto const r = c.run({"matrix", "registration", "--config", (dir / "balie.json").string()});
  REQUIRE_MESSAGE(r.code == 0, r.out);
  auto const read = [](std::filesystem::path const& p) {
    std::string s;
    std::getline(std::ifstream(p), s);
    return s;
  };
  auto const hs = read(dir / "secrets/hs-token"), as = read(dir / "secrets/as-token");
  CHECK(hs.size() == 64);
  CHECK(as.size() == 64);
  CHECK(hs != as);
  CHECK(hs.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(std::filesystem::status(dir / "secrets/hs-token").permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK(r.out.find("url: \"https://balie.gemeente.test\"") != std::string::npos);
  CHECK(r.out.find("hs_token: \"" + hs + "\"") != std::string::npos);
  CHECK(r.out.find("as_token: \"" + as + "\"") != std::string::npos);
  CHECK(r.out.find(R"(regex: "@balie_.*:gemeente\\.test")") != std::string::npos);

  // A balied configured with those files takes the homeserver's new token, and nothing else.
  auto running = matrix;
  running["hs_token"]["file"] = (dir / "secrets/hs-token").string();
  running["as_token"]["file"] = (dir / "secrets/as-token").string();
  test_stack s(json{{"channels", {{"messenger", {{"public_base_url", "https://balie.gemeente.test"}, {"matrix", running}}}}}});
  auto const push = [&](std::string const& token) {
    return http_call(s.port(), "PUT", "/_matrix/app/v1/transactions/reg-1", {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                     R"({"events":[]})")
        .status;
  };
  CHECK(push(as) == 403);
  CHECK(push(hs) == 200);

  // Running it again rotates both.
  REQUIRE(c.run({"matrix", "registration", "--config", (dir / "balie.json").string()}).code == 0);
  CHECK(read(dir / "secrets/hs-token") != hs);
  // No Matrix section, no config: wrong usage.
  std::ofstream(dir / "empty.json") << "{}";
  CHECK(c.run({"matrix", "registration", "--config", (dir / "empty.json").string()}).code == 2);
  CHECK(c.run({"matrix", "registration"}).code == 2);
}

TEST_CASE("baliectl residents find: every case an address took part in, in every inbox and any notation, for the privacy role only; audited without the address") {
  ctl_stack c;
  std::ofstream(c.token_file) << privacy_token << "\n";
  auto const port = c.s.port();
  auto const origin = "http://127.0.0.1:" + std::to_string(port);
  // A phone call from the number (telefoon), a message left for an SMS answer to it in another notation and one for a mail
  // answer (algemeen), and someone else's message.
  REQUIRE(http_call(port, "POST", "/api/v1/transcripts", {{"Authorization", std::string("Bearer ") + system_token}, {"Content-Type", "application/json"}},
                    json{{"call_id", "kcc-rights"}, {"caller", "+31600000001"},
                         {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Mijn paspoort is kwijt."}}}}}.dump())
              .status == 202);
  auto const leave = [&](std::string const& channel, std::string const& address, std::string const& text) {
    auto const r = http_call(port, "POST", "/api/v1/chat/leave-message", {{"Origin", origin}, {"Content-Type", "application/json"}},
                             json{{"text", text}, {"reply", {{"channel", channel}, {"address", address}}}}.dump());
    REQUIRE(r.status == 202);
    return json::parse(r.body)["reference"].get<std::string>();
  };
  auto const by_sms = leave("sms", "06-00000001", "Wanneer is het gemeentehuis open?");
  auto const by_mail = leave("email", "jan@gemeente.test", "Ik wil een afspraak maken.");
  auto const other = leave("email", "piet@gemeente.test", "Is mijn aanvraag binnen?");

  auto const phone = c.run({"residents", "find", "+31 6 00000001"});
  CHECK(phone.code == 0);
  CHECK(phone.out.find("2 cases with this address.") != std::string::npos);
  CHECK(phone.out.find(by_sms) != std::string::npos);
  CHECK(phone.out.find("telefoon") != std::string::npos);  // the call, in the other inbox
  CHECK(phone.out.find(by_mail) == std::string::npos);
  CHECK(phone.out.find(other) == std::string::npos);
  auto const mail = c.run({"--json", "residents", "find", "Jan@Gemeente.test"});
  CHECK(mail.code == 0);
  auto const found = json::parse(mail.out);
  REQUIRE(found["cases"].size() == 1);
  CHECK(found["cases"][0]["reference"] == by_mail);
  CHECK(!found["cases"][0].contains("preview"));  // the cases, not what they say
  CHECK(c.run({"residents", "find", "niemand@gemeente.test"}).out.find("0 cases") != std::string::npos);
  CHECK(c.run({"residents", "find", "geen adres"}).code == 1);  // balied explains: not an address
  CHECK(c.run({"residents", "find"}).code == 2);
  // Only the privacy role; the address only in a body.
  std::ofstream(c.token_file) << staff_token << "\n";
  CHECK(c.run({"residents", "find", "jan@gemeente.test"}).code == 1);
  CHECK(http_call(port, "GET", "/api/v1/residents/search?address=jan%40gemeente.test", {{"Authorization", std::string("Bearer ") + privacy_token}}).status == 405);
  // Audited: who searched and which cases came back, never the address.
  auto const audit = c.s.redis.list({"XRANGE", "balie:audit", "-", "+"});
  std::string all;
  for (auto const& line : audit) all += line + "\n";
  CHECK(std::count(audit.begin(), audit.end(), "residents.search") == 3);  // the three answered; refusals change nothing
  CHECK(all.find("demo-privacy") != std::string::npos);
  for (auto const* secret : {"00000001", "jan@", "Jan@", "niemand"}) CHECK_MESSAGE(all.find(secret) == std::string::npos, secret);
}

namespace {

/// A mail from the resident, delivered over LMTP as the municipality's MTA would.
void deliver_mail(std::uint16_t lmtp, std::string const& message_id, std::string const& subject, std::string const& body) {
  auto const reply = raw_exchange(lmtp, "LHLO mx.gemeente.test\r\nMAIL FROM:<jan@bewoner.gemeente.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\n"
                                        "From: Jan <jan@bewoner.gemeente.test>\r\nTo: info@gemeente.test\r\nSubject: " + subject +
                                        "\r\nMessage-ID: <" + message_id + ">\r\nMIME-Version: 1.0\r\n" + body + "\r\n.\r\nQUIT\r\n");
  REQUIRE(reply.find("250 2.0.0") != std::string::npos);
}


} // namespace

TEST_CASE("baliectl residents export and erase: one archive with every case and file, then erasure of what no duty keeps, with the report") {
  ctl_stack c(json{{"channels",
                    {{"email",
                      {{"enabled", true},
                       {"domain", "gemeente.test"},
                       {"addresses", {{"info@gemeente.test", "algemeen"}}},
                       {"lmtp", {{"address", "127.0.0.1"}, {"port", 0}}},
                       {"smtp", {{"url", "smtp://127.0.0.1:" + std::to_string(free_loopback_port())}, {"require_tls", false}}},
                       {"acknowledge", {{"enabled", false}}}}}}}});
  REQUIRE(c.s.balied->wait_for_event("lmtp.listening"));
  std::uint16_t lmtp = 0;
  for (auto const& j : c.s.balied->log())
    if (j.value("event", "") == "lmtp.listening") lmtp = static_cast<std::uint16_t>(std::stoi(j.value("port", "0")));
  REQUIRE(lmtp > 0);
  // Three mails from Jan: a photo of the pavement (a request for information), a complaint, and a question still open.
  deliver_mail(lmtp, "stoep@bewoner.gemeente.test", "Foto van de stoep",
               "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDe stoep is kapot.\r\n"
               "--b1\r\nContent-Type: application/pdf; name=\"stoep.pdf\"\r\nContent-Disposition: attachment; filename=\"stoep.pdf\"\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0gc3RvZXA=\r\n--b1--");  // "%PDF- stoep"
  deliver_mail(lmtp, "klacht@bewoner.gemeente.test", "Klacht", "Content-Type: text/plain; charset=utf-8\r\n\r\nIk ben niet goed geholpen.");
  deliver_mail(lmtp, "vraag@bewoner.gemeente.test", "Vraag", "Content-Type: text/plain; charset=utf-8\r\n\r\nWanneer komt de vuilniswagen?");
  REQUIRE(c.s.balied->wait_for_event("intake.stored", 3));

  std::ofstream(c.token_file) << privacy_token << "\n";
  auto const listed = c.run({"--json", "residents", "find", "jan@bewoner.gemeente.test"});
  REQUIRE(listed.code == 0);
  auto const cases = json::parse(listed.out)["cases"];
  REQUIRE(cases.size() == 3);
  std::map<std::string, std::string> id_of, ref_of;  // by subject's first word, from the staff view
  for (auto const& k : cases) {
    auto const view = json::parse(http_call(c.s.port(), "GET", "/api/v1/cases/" + k["id"].get<std::string>(),
                                            {{"Authorization", std::string("Bearer ") + staff_token}}).body);
    auto const subject = view["subject"].get<std::string>();
    id_of[subject] = k["id"];
    ref_of[subject] = k["reference"];
  }
  REQUIRE(id_of.size() == 3);
  for (auto const* subject : {"Foto van de stoep", "Klacht"})
    REQUIRE(http_call(c.s.port(), "POST", "/api/v1/cases/" + id_of[subject] + "/close", {{"Authorization", std::string("Bearer ") + staff_token}}).status == 200);
  std::ofstream(c.token_file) << records_token << "\n";
  auto const classed = c.run({"records", "class", id_of["Klacht"], "klacht", "--reason", "Een klacht over de behandeling"});
  CHECK(classed.code == 0);
  CHECK(classed.out.find("class klacht (Klacht, P5Y)") != std::string::npos);

  // The export: one archive, a folder per case with zaak.json, and the files Jan sent.
  std::ofstream(c.token_file) << privacy_token << "\n";
  auto const archive = c.s.dir.path / "inzage.tar";
  auto const exported = c.run({"residents", "export", "jan@bewoner.gemeente.test", "--out", archive.string()});
  INFO(exported.out);
  REQUIRE(exported.code == 0);
  auto const private_file = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  CHECK((std::filesystem::status(archive).permissions() & std::filesystem::perms::all) == private_file);
  auto const names = tool({"tar", "-tf", archive.string()});
  INFO(names.out);
  REQUIRE(names.code == 0);
  CHECK(names.out.find("LEESMIJ.txt\n") != std::string::npos);
  for (auto const& entry : ref_of) CHECK(names.out.find(entry.second + "/zaak.json\n") != std::string::npos);
  auto const stoep = ref_of["Foto van de stoep"];
  std::string const pdf_sha256 = "76737f036d2c9a3765394d6f6fd6186c7ae963be520ec5adb17b17959d5a651d";  // sha256sum of "%PDF- stoep", worked out with the shell
  auto const pdf = tool({"tar", "-xOf", archive.string(), stoep + "/bestanden/" + pdf_sha256.substr(0, 8) + "-stoep.pdf"});
  CHECK(pdf.out == "%PDF- stoep\n");
  CHECK(names.out.find(stoep + "/bestanden/") != std::string::npos);
  auto const zaak = json::parse(tool({"tar", "-xOf", archive.string(), stoep + "/zaak.json"}).out);
  CHECK(zaak["reference"] == stoep);
  CHECK(zaak["messages"][0]["text"] == "De stoep is kapot.");
  CHECK(zaak["messages"][0]["schema"] == "balie.case-message/1");
  CHECK(c.run({"residents", "export", "jan@bewoner.gemeente.test", "--out", archive.string()}).code == 2);  // never overwritten

  // The erasure: the closed request goes, the complaint (Archiefwet) and the open question stay, each with why.
  auto const erased = c.run({"residents", "erase", "jan@bewoner.gemeente.test", "--reason", "Verzoek van de bewoner, 4 december"});
  REQUIRE(erased.code == 0);
  CHECK(erased.out.find("Destroyed 1 case.\n" + stoep + "\talgemeen\n") != std::string::npos);
  CHECK(erased.out.find("Kept 2 cases:") != std::string::npos);
  CHECK(erased.out.find(ref_of["Klacht"] + "\talgemeen\tarchive-duty\tDe Archiefwet") != std::string::npos);
  CHECK(erased.out.find(ref_of["Vraag"] + "\talgemeen\topen\t") != std::string::npos);
  CHECK(erased.out.find("sms-opt-out") != std::string::npos);
  CHECK(http_call(c.s.port(), "GET", "/api/v1/cases/" + id_of["Foto van de stoep"], {{"Authorization", std::string("Bearer ") + staff_token}}).status == 404);
  CHECK(json::parse(c.run({"--json", "residents", "find", "jan@bewoner.gemeente.test"}).out)["cases"].size() == 2);
  // Its files wait for the destruction job's next run: no message refers to them any more.
  CHECK(c.s.redis.integer({"ZSCORE", "balie:files:orphaned", pdf_sha256}) > 0);
  // On the destruction list, approved by the privacy officer.
  std::ofstream(c.token_file) << records_token << "\n";
  auto const list = c.run({"records", "destroyed"});
  CHECK(list.out.find(stoep + ",algemeen,informatieverzoek,Verzoek om informatie,") != std::string::npos);
  CHECK(list.out.find(",demo-privacy,erasure request") != std::string::npos);
  // Audited: who, and which cases; never the address.
  auto const audit = c.s.redis.list({"XRANGE", "balie:audit", "-", "+"});
  CHECK(std::count(audit.begin(), audit.end(), "residents.export") == 1);
  CHECK(std::count(audit.begin(), audit.end(), "residents.erase") == 1);
  std::string all;
  for (auto const& line : audit) all += line + "\n";
  CHECK(all.find("jan@") == std::string::npos);
  // A second erasure finds only what is kept.
  std::ofstream(c.token_file) << privacy_token << "\n";
  CHECK(c.run({"residents", "erase", "jan@bewoner.gemeente.test", "--reason", "Nog eens"}).out.find("Destroyed 0 cases.") != std::string::npos);
  CHECK(c.run({"residents", "erase", "jan@bewoner.gemeente.test"}).code == 2);  // a reason is required
}

TEST_CASE("baliectl residents find: a chat's reference finds its conversation's cases; another reference its own case") {
  ctl_stack c;
  std::ofstream(c.token_file) << privacy_token << "\n";
  auto const port = c.s.port();
  auto const origin = "http://127.0.0.1:" + std::to_string(port);
  auto const session = json::parse(http_call(port, "POST", "/api/v1/chat/sessions", {{"Origin", origin}, {"Content-Type", "application/json"}}, "{}").body);
  std::string const chat_token = session["token"];
  auto const sent = http_call(port, "POST", "/api/v1/chat/messages",
                              {{"Origin", origin}, {"Authorization", "Bearer " + chat_token}, {"Content-Type", "application/json"}},
                              R"({"client_id": "m-1", "text": "Waar kan ik mijn grofvuil kwijt?"})");
  REQUIRE(sent.status == 202);
  REQUIRE(c.s.balied->wait_for_event("intake.stored"));
  REQUIRE(http_call(port, "POST", "/api/v1/transcripts", {{"Authorization", std::string("Bearer ") + system_token}, {"Content-Type", "application/json"}},
                    json{{"call_id", "kcc-chat-ref"}, {"caller", "+31600000007"},
                         {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}.dump())
              .status == 202);
  // The references, as the resident would quote them (from the acknowledgement): here from the privacy search by phone and staff's list.
  std::string chat_ref, phone_ref;
  for (auto const* inbox : {"algemeen", "telefoon"}) {
    auto const list = json::parse(http_call(port, "GET", std::string("/api/v1/inboxes/") + inbox + "/cases", {{"Authorization", std::string("Bearer ") + staff_token}}).body);
    for (auto const& k : list["cases"]) (k["channel"] == "webchat" ? chat_ref : phone_ref) = k["reference"];
  }
  REQUIRE(!chat_ref.empty());
  REQUIRE(!phone_ref.empty());
  auto const chat = json::parse(c.run({"--json", "residents", "find", chat_ref}).out);
  REQUIRE(chat["cases"].size() == 1);
  CHECK(chat["cases"][0]["reference"] == chat_ref);
  CHECK(chat["cases"][0]["channel"] == "webchat");
  auto const phone = json::parse(c.run({"--json", "residents", "find", phone_ref}).out);
  REQUIRE(phone["cases"].size() == 1);
  CHECK(phone["cases"][0]["reference"] == phone_ref);
  CHECK(c.run({"residents", "find", "BL-ZZZZZZ"}).out.find("0 cases") != std::string::npos);
}
