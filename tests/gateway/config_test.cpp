#include "gateway/config.hpp"
#include "tests/support/redis_server.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace balie::gateway;

namespace {
std::string load_error(std::string const& text) {
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "c.json") << text;
  std::filesystem::copy(std::string(BALIE_SOURCE_DIR) + "/config/texts", dir.path / "texts");  // the default: next to the file
  try {
    load_config(dir.path / "c.json");
  } catch (config_error const& e) {
    return e.what();
  }
  return "";
}

std::string const minimal = R"({
  // comments are allowed
  "http": {"port": 0},
  "redis": {"unix_socket": "r.sock"},
  "auth": {"tokens_file": "tokens.json"},
  "inboxes": [{"id": "algemeen", "name": "Algemeen"}],
  "routing": {"default_inbox": "algemeen"}
})";
} // namespace

TEST_CASE("the developer configuration loads") {
  auto const c = load_config(std::string(BALIE_SOURCE_DIR) + "/config/dev.json", std::filesystem::path("/tmp/balie-data"));
  CHECK(c.http.port == 8080);
  CHECK(c.redis.unix_socket == "/tmp/balie-data/redis/redis.sock");
  CHECK(c.routing.by_channel.at(balie::channel::phone) == "telefoon");
  CHECK(c.phone.spool_dir == "/tmp/balie-data/spool/phone");
  CHECK(c.tokens_file == std::filesystem::path(BALIE_SOURCE_DIR) / "config/dev-tokens.json");
  // Both messengers configured with the development secrets, switched off until an admin enables them.
  CHECK(!c.messenger.enabled);
  CHECK(c.messenger.whatsapp.app_secret == "dev-whatsapp-secret");
  CHECK(c.messenger.whatsapp.verify_token == "dev-verify-token");
  CHECK(c.messenger.whatsapp.dpia_reference == "DPIA-DEV-0000");
  CHECK(c.messenger.matrix.hs_token == "dev-hs-token");
  CHECK(c.messenger.matrix.as_token == "dev-as-token");
}

TEST_CASE("a minimal configuration with comments loads with defaults") {
  CHECK(load_error(minimal) == "");
}

TEST_CASE("config errors name the key's path") {
  auto with = [&](std::string const& from, std::string const& to) {
    auto t = minimal;
    t.replace(t.find(from), from.size(), to);
    return load_error(t);
  };
  CHECK(with(R"("http": {"port": 0})", R"("http": {"prot": 0})") == "config: /http/prot: unknown key");
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": "80"})") == "config: /http/port: expected an integer");
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": 70000})") == "config: /http/port: must be between 0 and 65535");
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": 0, "trusted_proxies": ["10.0.0.0/8", "proxy.gemeente.test"]})") ==
        "config: /http/trusted_proxies/1: expected an address or network, e.g. \"10.0.0.0/8\"");
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": 0, "trusted_proxies": ["10.0.0.0/33"]})") ==
        "config: /http/trusted_proxies/0: expected an address or network, e.g. \"10.0.0.0/8\"");
  CHECK(with(R"("auth": {"tokens_file": "tokens.json"},)", "") == "config: /auth: missing required key");
  CHECK(with(R"("routing": {"default_inbox": "algemeen"})", R"("routing": {"default_inbox": "nergens"})") ==
        "config: /routing/default_inbox: names no inbox in /inboxes");
  CHECK(with(R"("id": "algemeen")", R"("id": "Algemeen!")") == "config: /inboxes/0/id: an inbox id is 1-63 characters of a-z, 0-9 and '-'");
  CHECK(with(R"("routing": {"default_inbox": "algemeen"})", R"("routing": {"default_inbox": "algemeen", "channels": {"fax": "algemeen"}})") ==
        "config: /routing/channels/fax: unknown key");
  CHECK(with(R"("redis": {"unix_socket": "r.sock"})", R"("redis": {"password": {"env": "BALIE_TEST_UNSET_VARIABLE"}})") ==
        "config: /redis/password/env: environment variable BALIE_TEST_UNSET_VARIABLE is not set");
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": 0}, "timezone": "Mars/Olympus")").find("/timezone: expected a time zone") != std::string::npos);
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": 0}, "timezone": "../../etc/passwd")").find("/timezone:") != std::string::npos);
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": 0}, "timezone": "UTC", "channels": {"webchat": {"timezone": "Europe/Amsterdam"}})") ==
        "config: /channels/webchat/timezone: must be the installation's /timezone: one time zone per installation");
  CHECK(with(R"({"id": "algemeen", "name": "Algemeen"})", R"({"id": "algemeen", "name": "Algemeen", "answer_within": {"working_days": 0}})") ==
        "config: /inboxes/0/answer_within/working_days: must be between 1 and 60");
  CHECK(with(R"({"id": "algemeen", "name": "Algemeen"})", R"({"id": "algemeen", "name": "Algemeen", "team_address": "team"})") ==
        "config: /inboxes/0/team_address: expected an email address");
  CHECK(with(R"({"id": "algemeen", "name": "Algemeen"})", R"({"id": "algemeen", "name": "Algemeen", "team_address": "team@gemeente.test"})") ==
        "config: /inboxes/0/team_address: needs the email channel's relay (/channels/email/smtp/url) to send through");
  CHECK(with(R"({"id": "algemeen", "name": "Algemeen"})", R"({"id": "algemeen", "name": "Algemeen", "assignment": "random"})") ==
        "config: /inboxes/0/assignment: expected round_robin or fewest_open");
  CHECK(with(R"({"id": "algemeen", "name": "Algemeen"})", R"({"id": "algemeen", "name": "Algemeen", "openingstijden": {}})") ==
        "config: /inboxes/0/openingstijden: unknown key");
  CHECK(with(R"("http": {"port": 0})", R"("http": {"port": 0}, "acknowledgements": {"max_per_address": -1})") ==
        "config: /acknowledgements/max_per_address: must be between 0 and 1000");
  CHECK(load_error("{not json") != "");
  CHECK(load_error(minimal + "\n{}").find("not valid JSON") != std::string::npos);
}

TEST_CASE("secrets come from the environment or a file") {
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "secret") << "s3cret\n";
  auto t = minimal;
  std::string const from = R"("unix_socket": "r.sock")";
  t.replace(t.find(from), from.size(), R"("unix_socket": "r.sock", "password": {"file": "secret"})");
  std::ofstream(dir.path / "c.json") << t;
  std::filesystem::copy(std::string(BALIE_SOURCE_DIR) + "/config/texts", dir.path / "texts");
  CHECK(load_config(dir.path / "c.json").redis.password == "s3cret");
}

TEST_CASE("the email section: the developer settings, and each mistake named by its path") {
  auto const dev = load_config(std::string(BALIE_SOURCE_DIR) + "/config/dev.json", std::filesystem::path("/tmp/balie-data"));
  CHECK(dev.email.enabled);
  CHECK(dev.email.domain == "gemeente.test");
  REQUIRE(dev.email.addresses.size() == 1);
  CHECK(dev.email.addresses[0] == std::pair<std::string, std::string>{"info@gemeente.test", "algemeen"});
  CHECK(dev.email.lmtp_address == "127.0.0.1");
  CHECK(dev.email.lmtp_port == 2424);
  CHECK(dev.email.attachment_dir == "/tmp/balie-data/attachments");
  CHECK(dev.automatic.limit == 10);
  CHECK(dev.automatic.period == std::chrono::hours(3));

  auto email = [&](std::string const& section) {
    auto t = minimal;
    t.replace(t.rfind('}'), 1, R"(, "channels": {"email": )" + section + "}}");
    return load_error(t);
  };
  std::string const ok = R"({"domain": "gemeente.test", "addresses": {"Info@Gemeente.test": "algemeen"}})";
  CHECK(email(ok) == "");
  CHECK(email(R"({"addresses": {"info@gemeente.test": "algemeen"}})") == "config: /channels/email/domain: missing required key");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "nergens"}})") ==
        "config: /channels/email/addresses/info@gemeente.test: names no inbox in /inboxes");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info+x@gemeente.test": "algemeen"}})") ==
        "config: /channels/email/addresses/info+x@gemeente.test: expected a plain email address");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"geen adres": "algemeen"}})") ==
        "config: /channels/email/addresses/geen adres: expected a plain email address");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {}})") == "config: /channels/email/addresses: give at least one address");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"}, "smtp": {"url": "http://relay"}})") ==
        "config: /channels/email/smtp/url: expected smtp://host:port or smtps://host:port");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"}, "from_name": "Gemeente\r\nBcc: x"})") ==
        "config: /channels/email/from_name: must be one line");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                  "imap": [{"name": "a", "url": "pop3://x", "username": "u", "password": {"env": "HOME"}, "inbox": "algemeen"}]})") ==
        "config: /channels/email/imap/0/url: expected imaps://host/FOLDER");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                  "imap": [{"name": "a", "url": "imaps://x/INBOX", "username": "u", "inbox": "algemeen"}]})") ==
        "config: /channels/email/imap/0/password: missing required key");
  // Transport security: TLS unless the server is on this machine and the operator says so.
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                  "smtp": {"url": "smtp://relay.gemeente.test:587", "require_tls": false}})") ==
        "config: /channels/email/smtp/require_tls: may be false only for a relay on this machine (127.0.0.1, ::1, localhost)");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                  "smtp": {"url": "smtp://127.0.0.1:25", "require_tls": false}})") == "");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                  "imap": [{"name": "a", "url": "imap://mail.gemeente.test/INBOX", "username": "u", "password": {"env": "HOME"}, "inbox": "algemeen"}]})") ==
        "config: /channels/email/imap/0/url: use imaps:// (TLS); imap:// only with allow_plaintext for a test server on this machine");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                  "imap": [{"name": "a", "url": "imap://mail.gemeente.test/INBOX", "username": "u", "password": {"env": "HOME"}, "inbox": "algemeen",
                            "allow_plaintext": true}]})") ==
        "config: /channels/email/imap/0/allow_plaintext: may be true only for a server on this machine (127.0.0.1, ::1, localhost)");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                  "imap": [{"name": "a", "url": "imap://127.0.0.1:1143/INBOX", "username": "u", "password": {"env": "HOME"}, "inbox": "algemeen",
                            "allow_plaintext": true}]})") == "");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"}, "lmtp": {"port": 99999}})") ==
        "config: /channels/email/lmtp/port: must be between 0 and 65535");
  // The address the chat widget offers residents: one Balie receives.
  CHECK(dev.email.public_address == "info@gemeente.test");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"}, "public_address": "Info@Gemeente.test"})") == "");
  CHECK(email(R"({"domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"}, "public_address": "post@gemeente.test"})") ==
        "config: /channels/email/public_address: must be one of /channels/email/addresses");
  CHECK(dev.sms.public_number == "4444");
  CHECK(dev.messenger.whatsapp.public_number == "+3197010203040");
}

TEST_CASE("the outbox section: takeover and blocking read, and a takeover that could send a mail twice is refused") {
  auto with = [&](std::string const& extra) {
    auto t = minimal;
    t.replace(t.rfind('}'), 1, ", " + extra + "}");
    return t;
  };
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "c.json") << with(R"("outbox": {"takeover_after_ms": 2500, "block_ms": 200})");
  std::filesystem::copy(std::string(BALIE_SOURCE_DIR) + "/config/texts", dir.path / "texts");
  auto const c = load_config(dir.path / "c.json");
  CHECK(c.outbox.takeover_after == std::chrono::milliseconds(2500));
  CHECK(c.outbox.block == std::chrono::milliseconds(200));
  CHECK(load_config(std::string(BALIE_SOURCE_DIR) + "/config/dev.json", std::filesystem::path("/tmp/balie-data")).outbox ==
        balie::outbox_config{});
  CHECK(load_error(with(R"("outbox": {"takeover_after_ms": 10})")) == "config: /outbox/takeover_after_ms: must be between 100 and 86400000");
  CHECK(load_error(with(R"("outbox": {"speed": 1})")).find("/outbox/speed") != std::string::npos);
  // Email on: one transfer may last the SMTP timeout, so the takeover must wait longer than that.
  std::string const email = R"("channels": {"email": {"enabled": true, "domain": "gemeente.test", "addresses": {"info@gemeente.test": "algemeen"},
                                   "smtp": {"url": "smtp://127.0.0.1:25", "require_tls": false, "timeout_seconds": 2}}})";
  CHECK(load_error(with(email + R"(, "outbox": {"takeover_after_ms": 2100, "block_ms": 200})")) ==
        "config: /outbox/takeover_after_ms: must exceed /outbox/block_ms plus /channels/email/smtp/timeout_seconds");
  CHECK(load_error(with(email + R"(, "outbox": {"takeover_after_ms": 2300, "block_ms": 200})")) == "");
}

TEST_CASE("resident texts: read from nl.json and en.json, variables filled, English falls back to Dutch, mistakes refused naming file and text") {
  balie::test::temp_dir dir;
  auto const write = [&](char const* file, nlohmann::json const& j) { std::ofstream(dir.path / file) << j.dump(); };
  nlohmann::json nl = {{"acknowledgement.subject", "Ontvangen [{reference}]"},
                       {"acknowledgement.letter", "{situation}Uw nummer is {reference}. Noem {reference} als u belt. Antwoord: {answer_by}. {human_route}"},
                       {"acknowledgement.short", "{situation}Ontvangen: {reference}, antwoord {answer_by}. {human_route}"},
                       {"acknowledgement.situation.outside_hours", "Wij zijn dicht. "},
                       {"acknowledgement.situation.switched_off", "{notice} "},
                       {"acknowledgement.short.situation.outside_hours", "Dicht. "},
                       {"acknowledgement.short.situation.switched_off", "{notice} "},
                       {"contact.human_route", "Bel 14."},
                       {"contact.human_route.short", "Bel 14."},
                       {"contact.phone_number", "14 en uw netnummer"},
                       {"email.reply.subject", "Uw bericht aan de gemeente"},
                       {"email.switched_off.notice", "E-mail is dicht."},
                       {"messenger.switched_off.notice", "De app is dicht."},
                       {"messenger.whatsapp.privacy_notice", "Meta ziet dat u ons schrijft."},
                       {"sms.opt_in.confirmation", "U krijgt weer sms."},
                       {"sms.opt_out.confirmation", "U krijgt geen sms meer."},
                       {"sms.switched_off.notice", "Sms is dicht."}};
  write("nl.json", nl);
  write("en.json", {{"acknowledgement.subject", "Received [{reference}]"}});
  auto const t = balie::channels::resident_texts::load(dir.path);
  CHECK(t.text("acknowledgement.short", "nl", {{"reference", "BL-7K3M9Q"}, {"answer_by", "dinsdag 8 december"}, {"human_route", "Bel 14."}}) ==
        "Ontvangen: BL-7K3M9Q, antwoord dinsdag 8 december. Bel 14.");
  CHECK(t.text("acknowledgement.subject", "en", {{"reference", "BL-7K3M9Q"}}) == "Received [BL-7K3M9Q]");
  CHECK(t.text("email.reply.subject", "en") == "Uw bericht aan de gemeente");  // no English text: Dutch
  // A value is put in as it is, never read again for variables.
  CHECK(t.text("acknowledgement.short", "nl", {{"situation", "Bel {reference}. "}, {"reference", "BL-7K3M9Q"}}) ==
        "Bel {reference}. Ontvangen: BL-7K3M9Q, antwoord . ");

  auto const error = [&] {
    try {
      balie::channels::resident_texts::load(dir.path);
    } catch (config_error const& e) {
      return std::string(e.what());
    }
    return std::string{};
  };
  write("en.json", {{"acknowledgement.subject", "Received [{referentie}]"}});
  CHECK(error() == "config: " + (dir.path / "en.json").string() +
                       ": acknowledgement.subject: unknown variable at character 10 (allowed: {reference})");
  write("en.json", {{"email.welkom", "Hallo"}});
  CHECK(error() == "config: " + (dir.path / "en.json").string() + ": email.welkom: unknown text");
  std::filesystem::remove(dir.path / "en.json");  // English is optional
  CHECK(error() == "");
  nl.erase("email.reply.subject");
  write("nl.json", nl);
  CHECK(error() == "config: " + (dir.path / "nl.json").string() + ": email.reply.subject: missing");
  std::filesystem::remove(dir.path / "nl.json");
  CHECK(error() == "config: " + (dir.path / "nl.json").string() + ": cannot be read");
  // The shipped files pass the same checks.
  CHECK_NOTHROW(balie::channels::resident_texts::load(std::string(BALIE_SOURCE_DIR) + "/config/texts"));
}

TEST_CASE("the retention section: classes, their choice by inbox and topic, operational terms; each mistake named by its path") {
  auto with = [&](std::string const& retention) {
    auto t = minimal;
    t.replace(t.rfind('}'), 1, ", \"retention\": " + retention + "}");
    return t;
  };
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "c.json") << with(R"({
    "classes": [{"id": "vraag", "label": "Vraag", "term": "P1Y", "erasable_on_request": true},
                {"id": "melding", "label": "Melding", "term": "P5Y"}],
    "default_class": "vraag", "by_inbox": {"algemeen": "melding"}, "by_topic": {"klacht": "melding"},
    "check_every_minutes": 15, "operational": {"spool_done": "P7D", "audit": "P3Y"}})");
  std::filesystem::copy(std::string(BALIE_SOURCE_DIR) + "/config/texts", dir.path / "texts");
  auto const c = load_config(dir.path / "c.json");
  REQUIRE(c.retention.classes.size() == 2);
  CHECK(c.retention.find("vraag")->erasable_on_request);
  CHECK_FALSE(c.retention.find("melding")->erasable_on_request);
  CHECK(c.retention.by_inbox.at("algemeen") == "melding");
  CHECK(c.retention.by_topic.at("klacht") == "melding");
  CHECK(c.retention.check_every == std::chrono::minutes(15));
  CHECK(c.retention.spool_done == balie::calendar::period{0, 0, 7});
  CHECK(c.retention.audit == balie::calendar::period{3, 0, 0});
  CHECK(c.retention.events == balie::calendar::period{0, 0, 30});  // the default stays
  // Without the section: the defaults (a request for information 1 year, a report and a complaint 5).
  CHECK(load_config([&] { std::ofstream(dir.path / "m.json") << minimal; return dir.path / "m.json"; }()).retention == default_retention());

  CHECK(load_error(with(R"({"classes": [{"id": "vraag", "label": "Vraag", "term": "1 jaar"}]})")) ==
        "config: /retention/classes/0/term: expected an ISO 8601 period of years, months and days, such as P1Y or P30D");
  CHECK(load_error(with(R"({"classes": []})")) == "config: /retention/classes: expected at least one class");
  CHECK(load_error(with(R"({"default_class": "bestaat-niet"})")) == "config: /retention/default_class: names no class in /retention/classes");
  CHECK(load_error(with(R"({"by_inbox": {"nergens": "melding"}})")) == "config: /retention/by_inbox/nergens: names no inbox in /inboxes");
  CHECK(load_error(with(R"({"by_topic": {"klacht": "eeuwig"}})")) == "config: /retention/by_topic/klacht: names no class in /retention/classes");
  CHECK(load_error(with(R"({"operational": {"events": "P0D"}})")) ==
        "config: /retention/operational/events: expected an ISO 8601 period of years, months and days, such as P1Y or P30D");
  CHECK(load_error(with(R"({"bewaren": true})")) == "config: /retention/bewaren: unknown key");
}

TEST_CASE("the openklant section: off without it; URL, token file, kanalen; each mistake named by its path") {
  auto with = [&](std::string const& openklant) {
    auto t = minimal;
    t.replace(t.rfind('}'), 1, ", \"openklant\": " + openklant + "}");
    return t;
  };
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "token") << "geheim-token\n";
  std::filesystem::copy(std::string(BALIE_SOURCE_DIR) + "/config/texts", dir.path / "texts");
  std::ofstream(dir.path / "m.json") << minimal;
  CHECK_FALSE(load_config(dir.path / "m.json").openklant.enabled);
  std::ofstream(dir.path / "c.json") << with(R"({"url": "https://openklant.gemeente.test/klantinteracties/api/v1/",
    "token": {"file": "token"}, "timeout_seconds": 5, "kanalen": {"webchat": "Chat", "email": "E-mail"}})");
  auto const c = load_config(dir.path / "c.json").openklant;
  CHECK(c.enabled);
  CHECK(c.url == "https://openklant.gemeente.test/klantinteracties/api/v1");
  CHECK(c.token == "geheim-token");
  CHECK(c.timeout == std::chrono::seconds(5));
  CHECK(c.kanalen.at("webchat") == "Chat");
  CHECK(c.kanalen.at("phone") == "Telefoon");  // the defaults stay for the rest

  auto const token = std::string(R"("token": {"file": ")") + (dir.path / "token").string() + "\"}";
  CHECK(load_error(with(R"({"url": "http://openklant.gemeente.test/api", )" + token + "}")) ==
        "config: /openklant/url: must be an https:// URL (http:// only to this machine)");
  CHECK(load_error(with(R"({"url": "https://openklant.gemeente.test"})")) == "config: /openklant/token: missing required key");
  CHECK(load_error(with(R"({"url": "https://o.gemeente.test", "kanalen": {"fax": "Fax"}, )" + token + "}")) ==
        "config: /openklant/kanalen/fax: unknown channel (email, sms, webchat, phone, matrix, whatsapp)");
  CHECK(load_error(with(R"({"url": "https://o.gemeente.test", "kanalen": {"sms": ")" + std::string(51, 's') + "\"}, " + token + "}")) ==
        "config: /openklant/kanalen/sms: must be 1 to 50 characters (Open Klant's kanaal)");
  CHECK(load_error(with(R"({"url": "https://o.gemeente.test", "timeout_seconds": 0, )" + token + "}")) ==
        "config: /openklant/timeout_seconds: must be between 1 and 120");
}
