// The email channel end to end with real servers, all private to the test:
// redis-server, balied, a Postfix that relays gemeente.test to Balie's LMTP
// port and delivers burger.test into Dovecot maildirs, and swaks as the
// resident's mail client. What a resident and a staff member see: a mail
// becomes a case, the acknowledgement and the staff reply arrive with the
// headers that make threading work, an answer joins the case, a stranger's
// answer does not, a bounce marks the reply failed, and nothing is lost
// while Redis is down.
#include "channels/text.hpp"
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/mail_servers.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

namespace balie::test {
namespace {

using json = nlohmann::json;

json email_config(int lmtp_port, int smtp_port) {
  return {{"channels",
           {{"email",
             {{"enabled", true},
              {"domain", "gemeente.test"},
              {"addresses", {{"info@gemeente.test", "algemeen"}, {"vergunningen@gemeente.test", "vergunningen"}}},
              {"lmtp", {{"address", "127.0.0.1"}, {"port", lmtp_port}}},
              {"max_message_bytes", 1024 * 1024},
              {"smtp", {{"url", "smtp://127.0.0.1:" + std::to_string(smtp_port)}, {"require_tls", false}, {"retry_initial_seconds", 1}, {"timeout_seconds", 20}}},
              {"acknowledge", {{"enabled", true}}}}}}},
          {"acknowledgements", {{"max_per_address", 10}, {"period_minutes", 180}}}};
}

/// Everything one test needs; ports are fixed before anything starts, so
/// Postfix knows Balie's LMTP port and Balie knows Postfix's SMTP port.
struct mail_stack {
  temp_dir mail_dir;
  int lmtp_port = free_loopback_port();
  dovecot_server dovecot{mail_dir.path / "dovecot", {{"jan", "pw"}, {"piet", "pw"}}};
  postfix_server postfix{mail_dir.path / "postfix",
                         postfix_config{.lmtp_port = lmtp_port, .resident_mail_root = dovecot.mail_root(),
                                        .resident_users = dovecot.user_names()}};
  std::unique_ptr<test_stack> s;

  explicit mail_stack(std::function<void(json&)> const& adjust = {}) {
    auto cfg = email_config(lmtp_port, postfix.smtp_port());
    if (adjust) adjust(cfg);
    s = std::make_unique<test_stack>(std::move(cfg));
    REQUIRE(s->balied->wait_for_event("lmtp.listening"));
    dovecot.start();
    postfix.start();
  }

  /// swaks as the resident's mail program, submitting to Postfix.
  std::string send(std::string const& from, std::string const& to, std::vector<std::string> headers, std::string const& body) {
    std::vector<std::string> argv = {"swaks", "--server", "127.0.0.1:" + std::to_string(postfix.smtp_port()), "--from", from, "--to", to,
                                     "--body", body, "--silent", "1"};
    for (auto& h : headers) argv.insert(argv.end(), {"--header", h});
    child_process p;
    p.spawn(argv);
    int const rc = p.wait();
    std::string out;
    for (auto const& l : p.lines()) out += l + "\n";
    REQUIRE_MESSAGE(rc == 0, out);
    return out;
  }

  http_reply call(std::string const& method, std::string const& target, std::string const& body = {}, char const* token = staff_token) {
    return http_call(s->port(), method, target, {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}, body);
  }

  json case_view(std::string const& id) {
    auto const r = call("GET", "/api/v1/cases/" + id);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }

  std::vector<std::string> open_cases() { return s->redis.list({"ZRANGE", queue::keys::inbox_open("algemeen"), "0", "-1"}); }

  /// The first mail in a resident's mailbox that `wanted` accepts, waiting for Postfix's
  /// deliveries (not for time). Mails arriving in the same second have no reliable order.
  template <class Pred>
  std::string mail_where(std::string const& user, Pred wanted) {
    std::size_t from = 0;
    for (;;) {
      for (auto const& mail : dovecot.messages(user))
        if (wanted(mail)) return mail;
      auto const line = postfix.wait_for_delivery(user + "@burger.test", mail_server_deadline, from);
      REQUIRE_MESSAGE(!line.empty(), "no such delivery to " << user << "; maillog:\n" << postfix.log());
      from = postfix.log().find(line) + line.size();
    }
  }
};

std::string header(std::string const& mail, std::string const& name) {
  std::regex const re("(^|\n)" + name + ":[ \t]*([^\n]*(\n[ \t][^\n]*)*)", std::regex::icase);
  std::smatch m;
  if (!std::regex_search(mail, m, re)) return {};
  return m.str(2);
}

/// The mail-server tests need their tools: without them they fail, never pass silently.
void require_mail_servers() {
  REQUIRE_MESSAGE(mail_servers_available(),
                  "needs root and the postfix, dovecot-imapd and swaks packages (scripts/test installs them)");
}

TEST_CASE("a mail becomes a case; acknowledgement and staff reply reach the resident with threading headers; answers join, strangers do not") {
  require_mail_servers();
  mail_stack m;
  m.send("jan@burger.test", "info@gemeente.test", {"Subject: Container kapot", "Message-ID: <eerste.1@burger.test>"},
         "Mijn groene container is kapot.\n\nMet vriendelijke groet,\nJan Jansen");
  REQUIRE(m.s->balied->wait_for_event("intake.stored"));
  auto cases = m.open_cases();
  REQUIRE(cases.size() == 1);
  auto const case_id = cases[0];
  auto view = m.case_view(case_id);
  auto const reference = view["reference"].get<std::string>();
  REQUIRE(view["messages"].size() >= 1);
  CHECK(view["messages"][0]["channel"] == "email");
  CHECK(view["messages"][0]["text"] == "Mijn groene container is kapot.\n\nMet vriendelijke groet,\nJan Jansen");
  CHECK(view["messages"][0]["provider_message_id"] == "eerste.1@burger.test");

  // The acknowledgement: automatic, so marked as such, and naming the reference.
  auto const ack = m.mail_where("jan", [](std::string const& mail) { return mail.find("Auto-Submitted: auto-replied") != std::string::npos; });
  CHECK(header(ack, "Auto-Submitted") == "auto-replied");
  CHECK(header(ack, "Subject") == "Wij hebben uw bericht ontvangen [" + reference + "]");  // config/texts/nl.json
  CHECK(header(ack, "In-Reply-To") == "<eerste.1@burger.test>");

  // Staff answer.
  REQUIRE(m.call("POST", "/api/v1/cases/" + case_id + "/claim").status == 200);
  auto const sent = m.call("POST", "/api/v1/cases/" + case_id + "/replies", json{{"text", "Wij brengen morgen een nieuwe container.\n\n- Zet de oude aan de straat.\n- Meer informatie: https://www.gemeente.test/afval"}}.dump());
  REQUIRE(sent.status == 202);
  auto const reply_id = json::parse(sent.body)["message"]["id"].get<std::string>();
  auto const reply = m.mail_where("jan", [&](std::string const& mail) { return mail.find(".reply-" + reply_id + "@") != std::string::npos; });
  CHECK(header(reply, "Message-ID") == "<case-" + case_id + ".reply-" + reply_id + "@gemeente.test>");
  CHECK(header(reply, "In-Reply-To") == "<eerste.1@burger.test>");
  CHECK(header(reply, "References").find("<eerste.1@burger.test>") != std::string::npos);
  CHECK(header(reply, "Auto-Submitted") == "no");
  CHECK(header(reply, "Subject") == "Re: Container kapot [" + reference + "]");
  auto const reply_to = header(reply, "Reply-To");
  std::smatch token;
  REQUIRE(std::regex_search(reply_to, token, std::regex(R"(info\+([0-9a-z]{16})@gemeente\.test)")));
  CHECK(reply.find("multipart/alternative") != std::string::npos);
  CHECK(reply.find("<html lang=3D\"nl\">") != std::string::npos);  // quoted-printable
  CHECK(header(reply, "Return-Path") == "<bounces+" + case_id + "." + reply_id + "@gemeente.test>");
  // Balie's own record of it.
  REQUIRE(m.s->balied->wait_for_event("email.sent", 2));
  view = m.case_view(case_id);
  bool reported = false;
  for (auto const& msg : view["messages"])
    if (msg["id"] == reply_id) reported = msg["delivery"]["status"] == "sent";
  CHECK(reported);

  // Jan answers the reply: it joins the same case.
  m.send("jan@burger.test", "info+" + token.str(1) + "@gemeente.test",
         {"Subject: Re: Container kapot [" + reference + "]", "In-Reply-To: <case-" + case_id + ".reply-" + reply_id + "@gemeente.test>"},
         "Dank u wel!");
  REQUIRE(m.s->balied->wait_for_event("intake.stored", 2));
  CHECK(m.open_cases().size() == 1);
  CHECK(m.s->balied->wait_for_event("email.threaded"));

  // Piet uses the same token, Message-ID and reference: never merged into Jan's case.
  m.send("piet@burger.test", "info+" + token.str(1) + "@gemeente.test",
         {"Subject: Re: Container kapot [" + reference + "]", "In-Reply-To: <case-" + case_id + ".reply-" + reply_id + "@gemeente.test>"},
         "Ik heb hetzelfde probleem.");
  REQUIRE(m.s->balied->wait_for_event("intake.stored", 3));
  cases = m.open_cases();
  REQUIRE(cases.size() == 2);
  auto const piet_case = cases[0] == case_id ? cases[1] : cases[0];
  CHECK(m.s->redis.command({"HGET", queue::keys::case_hash(piet_case), "linked_case"}) == case_id);
  auto const piet_view = m.case_view(piet_case);
  REQUIRE(piet_view["messages"].size() >= 1);
  CHECK(piet_view["messages"][0]["text"] == "Ik heb hetzelfde probleem.");
  auto const joined = m.case_view(case_id);  // a range-for over a member of a temporary would read freed memory
  for (auto const& msg : joined["messages"]) CHECK(msg["text"] != "Ik heb hetzelfde probleem.");
}

TEST_CASE("a bounce of Balie's mail marks it failed with the reason staff can read") {
  require_mail_servers();
  mail_stack m;
  // onbekend@burger.test has no mailbox: Postfix accepts, then bounces to the VERP address.
  m.send("onbekend@burger.test", "info@gemeente.test", {"Subject: Vraag"}, "Hallo, ik heb een vraag.");
  REQUIRE(m.s->balied->wait_for_event("intake.stored"));
  REQUIRE(m.s->balied->wait_for_event("email.bounce_recorded"));
  auto const cases = m.open_cases();
  REQUIRE(cases.size() == 1);  // the bounce made no case of its own
  auto const view = m.case_view(cases[0]);
  bool failed = false;
  for (auto const& msg : view["messages"])
    if (msg["direction"] == "outbound") {
      failed = msg["delivery"]["status"] == "failed";
      CHECK(msg["delivery"]["last_error"].get<std::string>().find("5.1.1") != std::string::npos);
    }
  CHECK(failed);
}

TEST_CASE("while Redis is down LMTP answers 451, Postfix keeps the mail, and it is stored once Redis is back") {
  require_mail_servers();
  mail_stack m;
  m.s->redis.stop();
  auto const before = m.postfix.log_size();
  m.send("jan@burger.test", "info@gemeente.test", {"Subject: Tijdens storing", "Message-ID: <storing.1@burger.test>"}, "Komt dit aan?");
  auto const deferred = m.postfix.wait_for_log("status=deferred", mail_server_deadline, before);
  REQUIRE(!deferred.empty());
  CHECK(deferred.find("451") != std::string::npos);
  m.s->redis.start();
  REQUIRE(m.s->balied->wait_for_event("redis.ready", 2));
  m.postfix.flush();
  REQUIRE(m.s->balied->wait_for_event("intake.stored"));
  REQUIRE(m.open_cases().size() == 1);
  CHECK(m.case_view(m.open_cases()[0])["messages"][0]["text"] == "Komt dit aan?");
}

/// balied alone with its LMTP port (no Postfix needed), for what is about Balie's own listener.
struct lmtp_stack {
  test_stack s;
  std::uint16_t port = 0;
  explicit lmtp_stack(json cfg = email_config(free_loopback_port(), free_loopback_port())) : s(std::move(cfg)) {
    REQUIRE(s.balied->wait_for_event("lmtp.listening"));
    for (auto const& j : s.balied->log())
      if (j.value("event", "") == "lmtp.listening") port = static_cast<std::uint16_t>(std::stoi(j.value("port", "0")));
    REQUIRE(port > 0);
  }
  /// One mail in one pipelined LMTP session; returns every reply.
  std::string deliver(std::string const& envelope_from, std::string const& raw, std::string const& rcpt = "info@gemeente.test") {
    return raw_exchange(port, "LHLO mx.gemeente.test\r\nMAIL FROM:<" + envelope_from + ">\r\nRCPT TO:<" + rcpt + ">\r\nDATA\r\n" + raw +
                                  "\r\n.\r\nQUIT\r\n");
  }
};

TEST_CASE("LMTP straight to balied: per-recipient replies, unknown recipients, size limit, bare LF, pipelining") {
  lmtp_stack l;
  auto& s = l.s;
  auto const port = l.port;
  auto const mail = [](std::string const& id, std::string const& body) {
    return "From: Jan <jan@burger.test>\r\nTo: info@gemeente.test\r\nSubject: Test\r\nMessage-ID: <" + id + ">\r\n\r\n" + body + "\r\n.\r\n";
  };
  // Everything pipelined in one write: two recipients (one unknown), then a second mail with a bare LF.
  auto const out = raw_exchange(static_cast<std::uint16_t>(port),
                                "LHLO mx.gemeente.test\r\nMAIL FROM:<jan@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\n"
                                "RCPT TO:<niemand@gemeente.test>\r\nRCPT TO:<vergunningen@gemeente.test>\r\nDATA\r\n" +
                                    mail("p1@burger.test", "..Punt aan het begin.") +
                                    "MAIL FROM:<jan@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\n" +
                                    mail("p2@burger.test", "kale\nregel") + "QUIT\r\n");
  std::vector<std::string> codes;
  std::istringstream lines(out);
  for (std::string l; std::getline(lines, l);)
    if (l.size() >= 3 && l[3] != '-') codes.push_back(l.substr(0, 3));
  CHECK(codes == std::vector<std::string>{"220", "250", "250", "250", "550", "250", "354", "250", "250", "250", "250", "354", "550", "221"});
  CHECK(s.balied->wait_for_event("intake.stored"));
  auto const stored = s.redis.list({"XRANGE", queue::keys::inbox_stream("algemeen"), "-", "+"});
  bool found = false;
  for (auto const& v : stored)
    if (v.find(".Punt aan het begin.") != std::string::npos) found = true;
  CHECK(found);  // dot-unstuffed once
  for (auto const& v : stored) CHECK(v.find("kale") == std::string::npos);

  // Over the size limit: 552 after the data, and nothing stored.
  auto const before = s.inbox_length("algemeen");
  auto const big = raw_exchange(static_cast<std::uint16_t>(port), "LHLO x\r\nMAIL FROM:<jan@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\n" +
                                                                       mail("groot@burger.test", std::string(2 * 1024 * 1024, 'a')) + "QUIT\r\n");
  CHECK(big.find("552 5.3.4") != std::string::npos);
  CHECK(s.inbox_length("algemeen") == before);  // nothing of it stored
  CHECK(big.find("SIZE 1048576") != std::string::npos);
}

json imap_config(int imap_port, std::filesystem::path const& secret, std::string const& processed_folder) {
  std::ofstream(secret) << "secret\n";
  auto cfg = email_config(free_loopback_port(), free_loopback_port());
  cfg["channels"]["email"].erase("smtp");
  cfg["channels"]["email"]["imap"] = json::array({{{"name", "gemeente"},
                                                   {"url", "imap://127.0.0.1:" + std::to_string(imap_port) + "/INBOX"},
                                                   {"username", "info"},
                                                   {"password", {{"file", secret.string()}}},
                                                   {"inbox", "vergunningen"},
                                                   {"processed_folder", processed_folder},
                                                   {"poll_seconds", 1},
                                                   {"batch", 2},
                                                   {"allow_plaintext", true}}});
  return cfg;
}

std::string resident_mail(int n) {
  return "From: Bewoner " + std::to_string(n) + " <bewoner" + std::to_string(n) + "@burger.test>\r\nTo: info@gemeente.test\r\n"
         "Subject: Vraag " + std::to_string(n) + "\r\nMessage-ID: <vraag." + std::to_string(n) + "@burger.test>\r\n\r\n"
         "Dit is vraag " + std::to_string(n) + ".\r\n";
}

TEST_CASE("IMAP: a hosted mailbox is read in batches, each mail moved only once stored, the cursor kept in Redis") {
  require_mail_servers();
  temp_dir dir;
  dovecot_server dovecot(dir.path / "dovecot", {{"info", "secret"}});
  dovecot.start();
  dovecot.create_folder("info", "Verwerkt");
  for (int n = 1; n <= 5; ++n) dovecot.deliver("info", resident_mail(n));
  test_stack s(imap_config(dovecot.imap_port(), dir.path / "imap-secret", "Verwerkt"));
  REQUIRE(s.balied->wait_for_event("email.imap_processed", 5));
  CHECK(s.inbox_length("vergunningen") == 5);  // five cases, in the configured inbox, over three batches of two
  CHECK(s.redis.command({"HGET", "balie:email:imap:{gemeente}", "last_uid"}) == "5");
  REQUIRE(s.balied->wait_for_event("channel.health"));
  // Moved after storing: the INBOX empties into Verwerkt (the last move may trail the last store).
  dovecot.deliver("info", resident_mail(6));
  REQUIRE(s.balied->wait_for_event("email.imap_processed", 6));
  CHECK(dovecot.messages("info", "INBOX").empty());
  CHECK(dovecot.messages("info", "Verwerkt").size() == 6);
  CHECK(s.redis.command({"HGET", "balie:email:imap:{gemeente}", "last_uid"}) == "6");
  // A restart continues at the cursor: nothing is fetched twice.
  s.balied.reset();
  auto again = std::make_unique<balied_process>(balied_options{s.redis.socket(), s.dir.path, imap_config(dovecot.imap_port(), dir.path / "imap-secret", "Verwerkt")});
  dovecot.deliver("info", resident_mail(7));
  REQUIRE(again->wait_for_event("intake.stored"));
  CHECK(s.inbox_length("vergunningen") == 7);
  std::size_t duplicates = 0;
  for (auto const& j : again->log()) duplicates += j.value("event", "") == "intake.duplicate";
  CHECK(duplicates == 0);
}

TEST_CASE("IMAP: a UIDVALIDITY change neither loses nor duplicates mail; a server outage marks the source down, recovery up") {
  require_mail_servers();
  temp_dir dir;
  dovecot_server dovecot(dir.path / "dovecot", {{"info", "secret"}});
  dovecot.start();
  for (int n = 1; n <= 3; ++n) dovecot.deliver("info", resident_mail(n));
  // No processed folder: mail stays in the INBOX (flagged), so a resync offers it all again.
  test_stack s(imap_config(dovecot.imap_port(), dir.path / "imap-secret", ""));
  REQUIRE(s.balied->wait_for_event("intake.stored", 3));
  dovecot.change_uid_validity("info");
  dovecot.deliver("info", resident_mail(4));
  REQUIRE(s.balied->wait_for_event("email.imap_uidvalidity_changed"));
  bool const stored = s.balied->wait_for_event("intake.stored", 4);
  if (!stored)
    for (auto const& j : s.balied->log()) MESSAGE(j.dump());
  REQUIRE(stored);
  REQUIRE(s.balied->wait_for_event("intake.duplicate", 3));
  CHECK(s.inbox_length("vergunningen") == 4);

  auto health = [&](std::string const& state) {
    for (auto const& j : s.balied->log())
      if (j.value("event", "") == "channel.health" && j.value("state", "") == state) return true;
    return false;
  };
  dovecot.stop();
  REQUIRE(s.balied->wait_for_event("channel.health", 2));
  CHECK(health("down"));
  auto ready = json::parse(http_call(s.port(), "GET", "/readyz").body);
  CHECK(ready["sources"]["imap:gemeente"] == "down");
  // The channel as a whole: LMTP still takes mail in, so email is degraded, not down; admins see why.
  auto const email_health = [&] {
    auto const list = json::parse(http_call(s.port(), "GET", "/api/v1/channels", {{"Authorization", "Bearer admin-demo-token"}}).body);
    for (auto const& c : list["channels"])
      if (c["name"] == "email") return c["health"];
    return json{};
  };
  CHECK(eventually([&] { return email_health()["state"] == "degraded"; }));
  CHECK(email_health()["reason"].get<std::string>().find("imap:gemeente down") != std::string::npos);
  CHECK(s.balied->wait_for_event("channel.health_changed", 4));  // phone, email and web chat at start, then email degraded
  CHECK(json::parse(http_call(s.port(), "GET", "/readyz").body)["health"]["email"] == "degraded");
  dovecot.start();
  REQUIRE(s.balied->wait_for_event("channel.health", 3));
  ready = json::parse(http_call(s.port(), "GET", "/readyz").body);
  CHECK(ready["sources"]["imap:gemeente"] == "up");
  CHECK(eventually([&] { return email_health()["state"] == "up"; }));

  // A restart continues at the cursor: with all mail still in the INBOX, none of it is fetched again.
  s.balied.reset();
  balied_process again({s.redis.socket(), s.dir.path, imap_config(dovecot.imap_port(), dir.path / "imap-secret", "")});
  dovecot.deliver("info", resident_mail(5));
  REQUIRE(again.wait_for_event("intake.stored"));
  REQUIRE(again.wait_for_event("email.imap_processed"));
  CHECK(s.inbox_length("vergunningen") == 5);
  for (auto const& j : again.log()) CHECK(j.value("event", "") != "intake.duplicate");
}

TEST_CASE("acknowledgements: one per new case, none to machines or to Balie itself, at most max_per_address per period") {
  auto cfg = email_config(free_loopback_port(), free_loopback_port());
  cfg["channels"]["email"].erase("smtp");  // acknowledgements stay queued where the test can count them
  cfg["acknowledgements"]["max_per_address"] = 2;
  lmtp_stack l(cfg);
  auto const queued = [&] { return l.s.redis.integer({"XLEN", queue::keys::outbound("email")}); };
  auto const mail = [](std::string const& from, std::string const& id, std::string const& extra = {}) {
    return "From: " + from + "\r\nTo: info@gemeente.test\r\nSubject: Vraag\r\nMessage-ID: <" + id + ">\r\n" + extra + "\r\nTekst.";
  };
  std::size_t stored = 0;
  auto const deliver = [&](std::string const& envelope, std::string const& raw) {
    CHECK(l.deliver(envelope, raw).find("250 2.0.0 <info@gemeente.test>") != std::string::npos);
    REQUIRE(l.s.balied->wait_for_event("intake.stored", ++stored));
  };
  deliver("jan@burger.test", mail("jan@burger.test", "a1@burger.test"));
  CHECK(queued() == 1);
  // Machines: an auto-reply, a list, a null sender, a bounce sender, Balie's own address.
  deliver("jan@burger.test", mail("jan@burger.test", "a2@burger.test", "Auto-Submitted: auto-replied\r\n"));
  deliver("jan@burger.test", mail("jan@burger.test", "a3@burger.test", "Precedence: bulk\r\n"));
  deliver("jan@burger.test", mail("jan@burger.test", "a4@burger.test", "X-Auto-Response-Suppress: OOF, AutoReply\r\n"));
  deliver("", mail("jan@burger.test", "a5@burger.test"));
  deliver("postmaster@burger.test", mail("postmaster@burger.test", "a6@burger.test"));
  deliver("info@gemeente.test", mail("info@gemeente.test", "a7@gemeente.test"));
  CHECK(queued() == 1);
  // Per address: the second is acknowledged, the third is not (limit 2 per period).
  deliver("jan@burger.test", mail("jan@burger.test", "a8@burger.test"));
  deliver("jan@burger.test", mail("Jan@Burger.test", "a9@burger.test"));
  CHECK(queued() == 2);
  CHECK(l.s.balied->wait_for_event("email.acknowledgement_limited"));
  // Every one of them reached a case all the same.
  CHECK(l.s.inbox_length("algemeen") == 9);
}

TEST_CASE("an acknowledgement carries nothing the sender wrote: no display name, no link, only Balie's text") {
  auto cfg = email_config(free_loopback_port(), free_loopback_port());
  cfg["channels"]["email"].erase("smtp");  // the acknowledgement stays queued where the test can read it
  lmtp_stack l(cfg);
  // A forged From whose display name is a phishing line.
  auto const raw = std::string("From: \"Uw pas is geblokkeerd, ga naar https://evil.test/login\" <slachtoffer@burger.test>\r\n"
                               "To: info@gemeente.test\r\nSubject: Vraag\r\nMessage-ID: <p1@burger.test>\r\n\r\nTekst.");
  CHECK(l.deliver("slachtoffer@burger.test", raw).find("250 2.0.0 <info@gemeente.test>") != std::string::npos);
  REQUIRE(l.s.balied->wait_for_event("intake.stored"));
  auto const entries = l.s.redis.list({"XRANGE", queue::keys::outbound("email"), "-", "+"});
  std::string msg;
  for (std::size_t i = 0; i + 1 < entries.size(); ++i)
    if (entries[i] == "msg") msg = entries[i + 1];
  REQUIRE(!msg.empty());
  auto const ack = json::parse(msg);
  CHECK(ack["text"].get<std::string>().rfind("Beste inwoner,", 0) == 0);
  CHECK(ack["text"].get<std::string>().find("evil") == std::string::npos);
  CHECK(ack["text"].get<std::string>().find("http") == std::string::npos);
  CHECK(!ack["resident"].contains("name"));
  CHECK(msg.find("evil.test") == std::string::npos);
}

TEST_CASE("kill -9 balied during LMTP intake with attachments: no 250 without the stored files and the case") {
  auto const cfg = email_config(free_loopback_port(), free_loopback_port());
  lmtp_stack l(cfg);
  constexpr int total = 240, senders = 4;
  auto const pdf = [](int i) { return "%PDF-1.4\n% Balie crash test " + std::to_string(i) + "\n\x01\x02\x03\n%%EOF\n"; };
  auto const mail = [&](int i) {
    return "From: Jan <jan@burger.test>\r\nTo: info@gemeente.test\r\nSubject: Bijlage " + std::to_string(i) +
           "\r\nMessage-ID: <crash." + std::to_string(i) + "@burger.test>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nZie bijlage.\r\n"
           "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"pas.pdf\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" + base64_encode(pdf(i)) + "\r\n--b--";
  };
  std::vector<char> accepted(total, 0);  // not vector<bool>: each sender writes its own element
  std::atomic<int> next{0}, acked{0}, finished{0};
  std::mutex m;
  std::condition_variable cv;
  auto const tell = [&] {
    std::lock_guard lock(m);
    cv.notify_all();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t)
    threads.emplace_back([&] {
      for (int i; (i = next++) < total;) {
        // One session per mail: the last reply before QUIT's is the mail's.
        std::string out;
        try {
          out = l.deliver("jan@burger.test", mail(i));
        } catch (std::exception const&) {
          // balied is gone mid-session: this mail was not accepted.
        }
        accepted[static_cast<std::size_t>(i)] = out.find("250 2.0.0") != std::string::npos ? 1 : 0;
        if (accepted[static_cast<std::size_t>(i)] && ++acked == total / 3) tell();
      }
      ++finished;
      tell();
    });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return acked.load() >= total / 3 || finished.load() == senders; });
  }
  l.s.balied->process().signal_and_wait(SIGKILL);
  for (auto& t : threads) t.join();
  int const before_kill = acked.load();
  REQUIRE(before_kill >= total / 3);
  MESSAGE("accepted before the kill: " << before_kill << " of " << total);
  CHECK(before_kill < total);  // the kill really happened mid-stream

  l.s.balied = std::make_unique<balied_process>(balied_options{l.s.redis.socket(), l.s.dir.path, cfg});
  auto const entries = l.s.redis.list({"XRANGE", queue::keys::inbox_stream("algemeen"), "-", "+"});
  std::map<std::string, std::string> case_of;  // Subject → case id
  std::map<std::string, int> times;
  for (std::size_t k = 0; k + 4 < entries.size() + 1; k += 5) {  // id, "case_id", case, "msg", json
    auto const msg = json::parse(entries[k + 4]);
    case_of[msg["subject"].get<std::string>()] = entries[k + 2];
    ++times[msg["subject"].get<std::string>()];
  }
  std::vector<std::pair<std::string, std::string>> const staff_headers = {{"Authorization", std::string("Bearer ") + staff_token}};
  int missing = 0, twice = 0, wrong_file = 0;
  for (int i = 0; i < total; ++i) {
    auto const subject = "Bijlage " + std::to_string(i);
    twice += times[subject] > 1;
    if (!accepted[static_cast<std::size_t>(i)]) continue;
    if (!case_of.count(subject)) {
      ++missing;
      continue;
    }
    auto const view = json::parse(http_call(l.s.port(), "GET", "/api/v1/cases/" + case_of[subject], staff_headers).body);
    auto const& files = view["messages"][0]["attachments"];
    if (files.empty() || files[0]["filename"] != "pas.pdf") {
      ++wrong_file;
      continue;
    }
    auto const file = http_call(l.s.port(), "GET", "/api/v1/cases/" + case_of[subject] + "/attachments/" +
                                                       files[0]["sha256"].get<std::string>(), staff_headers);
    wrong_file += file.status != 200 || file.body != pdf(i);
  }
  CHECK(missing == 0);
  CHECK(twice == 0);
  CHECK(wrong_file == 0);
}

TEST_CASE("a file of an email is downloadable by staff of its inbox only, as a download, byte for byte") {
  lmtp_stack l;
  std::string const pdf = "%PDF-1.4\n% Balie test\n\x01\x02\x03 binary\n%%EOF\n";
  auto const raw = "From: Jan <jan@burger.test>\r\nTo: info@gemeente.test\r\nSubject: Paspoort\r\nMessage-ID: <bijlage.1@burger.test>\r\n"
                   "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nZie bijlage.\r\n"
                   "--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename*=UTF-8''pasp%C3%B6ort.pdf\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n" + base64_encode(pdf) + "\r\n--b--";
  REQUIRE(l.deliver("jan@burger.test", raw).find("250 2.0.0") != std::string::npos);
  REQUIRE(l.s.balied->wait_for_event("intake.stored"));
  auto const case_id = l.s.redis.list({"ZRANGE", queue::keys::inbox_open("algemeen"), "0", "-1"}).at(0);
  auto const get = [&](std::string const& path, char const* token = staff_token) {
    return http_call(l.s.port(), "GET", path, {{"Authorization", std::string("Bearer ") + token}});
  };
  auto const view = json::parse(get("/api/v1/cases/" + case_id).body);
  auto const& files = view["messages"][0]["attachments"];
  REQUIRE(files.size() == 2);  // the PDF and the original mail
  CHECK(files[0]["filename"] == "paspöort.pdf");
  CHECK(files[1]["filename"] == "bericht.eml");
  auto const sha = files[0]["sha256"].get<std::string>();

  auto const file = get("/api/v1/cases/" + case_id + "/attachments/" + sha);
  REQUIRE(file.status == 200);
  CHECK(file.body == pdf);
  CHECK(file.headers.at("content-type") == "application/octet-stream");  // not the declared text/html
  CHECK(file.headers.at("x-content-type-options") == "nosniff");
  CHECK(file.headers.at("content-disposition") == "attachment; filename=\"pasp__ort.pdf\"; filename*=UTF-8''pasp%C3%B6ort.pdf");
  auto const original = get("/api/v1/cases/" + case_id + "/attachments/" + files[1]["sha256"].get<std::string>());
  CHECK(original.body.find("Subject: Paspoort") != std::string::npos);

  CHECK(get("/api/v1/cases/" + case_id + "/attachments/" + sha, "vergunningen-demo-token").status == 403);
  CHECK(get("/api/v1/cases/" + case_id + "/attachments/" + std::string(64, 'a')).status == 404);  // named by no message of this case
  CHECK(get("/api/v1/cases/" + case_id + "/attachments/..%2F..%2Fetc%2Fpasswd").status == 404);
  CHECK(http_call(l.s.port(), "GET", "/api/v1/cases/" + case_id + "/attachments/" + sha).status == 401);
  auto const audit = l.s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  CHECK(std::find(audit.begin(), audit.end(), "case.attachment") != audit.end());
}

TEST_CASE("an LMTP connection that sends nothing is told 421 and closed after the idle timeout") {
  auto cfg = email_config(free_loopback_port(), free_loopback_port());
  cfg["channels"]["email"]["lmtp"]["idle_timeout_seconds"] = 1;
  lmtp_stack l(cfg);
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(l.port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval const limit{30, 0};  // a bound for a broken server, not the thing measured
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::string got;
  char buf[512];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  CHECK(n == 0);  // balied closed the connection (not our receive bound running out)
  ::close(fd);
  CHECK(got.rfind("220 ", 0) == 0);
  CHECK(got.find("421 4.4.2") != std::string::npos);
}

TEST_CASE("an admin switches email off and on at run time: meanwhile the MTA hears 451 and keeps the mail") {
  auto cfg = email_config(free_loopback_port(), free_loopback_port());
  lmtp_stack l(cfg);
  auto const mail = [](std::string const& id) {
    return "From: Jan <jan@burger.test>\r\nTo: info@gemeente.test\r\nSubject: Vraag\r\nMessage-ID: <" + id + ">\r\n\r\nTekst.";
  };
  cfg["channels"]["email"]["enabled"] = false;
  l.s.balied->rewrite_config(cfg);
  l.s.balied->process().send_signal(SIGHUP);
  REQUIRE(l.s.balied->wait_for_event("reload.channel"));
  CHECK(l.deliver("jan@burger.test", mail("uit.1@burger.test")).find("451 4.3.0 <info@gemeente.test>") != std::string::npos);
  CHECK(l.s.inbox_length("algemeen") == 0);
  cfg["channels"]["email"]["enabled"] = true;
  l.s.balied->rewrite_config(cfg);
  l.s.balied->process().send_signal(SIGHUP);
  REQUIRE(l.s.balied->wait_for_event("reload.channel", 2));
  CHECK(l.deliver("jan@burger.test", mail("uit.1@burger.test")).find("250 2.0.0 <info@gemeente.test>") != std::string::npos);
  CHECK(l.s.inbox_length("algemeen") == 1);
  for (auto const& j : l.s.balied->log()) CHECK(j.value("event", "") != "reload.needs_restart");
}

TEST_CASE("switched off with when_switched_off accept: mail is filed and marked, the resident gets the admin's notice, staff replies wait") {
  require_mail_servers();
  mail_stack m([](json& cfg) { cfg["channels"]["email"]["when_switched_off"] = "accept"; });
  auto const notice = "E-mail is tot maandag dicht. Bel 14 0000.";
  auto const off = m.call("PUT", "/api/v1/channels/email",
                          json{{"enabled", false}, {"reason", "verhuizing mailserver"}, {"notice", {{"nl", notice}}}}.dump(), admin_token);
  REQUIRE(off.status == 200);
  REQUIRE(m.s->balied->wait_for_event("channel.applied"));

  m.send("jan@burger.test", "info@gemeente.test", {"Subject: Container kapot", "Message-ID: <uit.1@burger.test>"}, "Mijn container is kapot.");
  REQUIRE(m.s->balied->wait_for_event("intake.stored"));
  auto const cases = m.open_cases();
  REQUIRE(cases.size() == 1);
  // The mail and the acknowledgement with the admin's notice in it.
  REQUIRE(eventually([&] { return m.case_view(cases[0])["messages"].size() == 2; }));
  auto const view = m.case_view(cases[0]);
  auto const reference = view["reference"].get<std::string>();
  CHECK(view["messages"][0]["received_while_off"] == true);
  CHECK(view["messages"][1]["routing"]["rule"] == "switched-off-notice");
  // The notice leaves although email is off: it answers a mail Balie took.
  auto const sent = m.mail_where("jan", [](std::string const& mail) { return mail.find("Auto-Submitted: auto-replied") != std::string::npos; });
  CHECK(header(sent, "Subject") == "Wij hebben uw bericht ontvangen [" + reference + "]");  // the acknowledgement, saying so: config/texts/nl.json
  CHECK(sent.find(notice) != std::string::npos);
  REQUIRE(m.s->balied->wait_for_event("email.sent"));

  // A staff reply waits while email is off. A second mail's notice, queued after it, goes
  // out first: by the time it is sent, the reply has been read and held.
  REQUIRE(m.call("POST", "/api/v1/cases/" + cases[0] + "/claim").status == 200);
  auto const reply = m.call("POST", "/api/v1/cases/" + cases[0] + "/replies", json{{"text", "Wij brengen morgen een nieuwe."}}.dump());
  REQUIRE(reply.status == 202);
  auto const reply_id = json::parse(reply.body)["message"]["id"].get<std::string>();
  m.send("jan@burger.test", "info@gemeente.test", {"Subject: Nog een vraag", "Message-ID: <uit.2@burger.test>"}, "En mijn pas?");
  REQUIRE(m.s->balied->wait_for_event("email.sent", 2));
  auto const delivery = [&] {
    auto const now = m.case_view(cases[0]);  // not a range-for over a member of a temporary
    for (auto const& msg : now["messages"])
      if (msg["id"] == reply_id) return msg["delivery"]["status"].get<std::string>();
    return std::string{};
  };
  CHECK(delivery() == "held");

  // On again: the reply reaches Jan.
  REQUIRE(m.call("PUT", "/api/v1/channels/email", json{{"enabled", true}, {"reason", "mailserver verhuisd"}}.dump(), admin_token).status == 200);
  m.mail_where("jan", [&](std::string const& mail) { return mail.find(".reply-" + reply_id + "@") != std::string::npos; });
  REQUIRE(m.s->balied->wait_for_event("email.sent", 3));
  CHECK(eventually([&] { return delivery() == "sent"; }));
}

TEST_CASE("a bounce that concerns no mail of Balie's still reaches a person, marked automatic and unanswered") {
  lmtp_stack l;
  auto const dsn = read_fixture("email/40-bounce-postfix-dsn.eml");
  // The VERP address names a case and message that do not exist.
  auto const out = l.deliver("", dsn, "bounces+01J0000000000000000000000A.01J0000000000000000000000B@gemeente.test");
  CHECK(out.find("250 2.0.0") != std::string::npos);
  REQUIRE(l.s.balied->wait_for_event("intake.stored"));
  auto const stored = l.s.redis.list({"XRANGE", queue::keys::inbox_stream("algemeen"), "-", "+"});
  auto const msg = std::find_if(stored.begin(), stored.end(), [](std::string const& v) { return v.rfind("{", 0) == 0; });
  REQUIRE(msg != stored.end());
  auto const m = json::parse(*msg);
  CHECK(m["auto_generated"] == true);
  CHECK(l.s.redis.integer({"XLEN", queue::keys::outbound("email")}) == 0);  // no acknowledgement to a mailer daemon
}

} // namespace
} // namespace balie::test
