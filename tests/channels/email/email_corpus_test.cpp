// The email corpus (tests/fixtures/email): every mail parsed and compared
// with its hand-written expectation (format in the corpus README). Also the
// generated hostile mails that are too big to keep as files: a 1,000-part
// message, 100 levels of nesting and a 10 MB header block.
#include "channels/email/mail_intake.hpp"
#include "channels/email/mime_parse.hpp"
#include "channels/email/reply_text.hpp"
#include "channels/text.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/schema_check.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace balie::email {
namespace {

using json = nlohmann::json;

std::vector<std::string> corpus() {
  std::vector<std::string> names;
  for (auto const& e : std::filesystem::directory_iterator(std::string(BALIE_SOURCE_DIR) + "/tests/fixtures/email"))
    if (e.path().extension() == ".eml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string no_brackets(std::string s) {
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return s;
}

void check(std::string const& name, parsed_mail const& mail, json const& want) {
  INFO("fixture " << name);
  // A misspelt key would silently switch an expectation off.
  static std::set<std::string> const known = {"from", "name", "subject", "message_id", "in_reply_to", "references", "reply_to", "text",
                                              "text_contains", "text_excludes", "attachments", "auto_generated", "suppress_auto_reply",
                                              "bounce", "warnings_include", "notes"};
  for (auto const& item : want.items()) {
    auto const key = item.key();  // a named variable: clang 14 cannot capture a structured binding
    CHECK_MESSAGE(known.count(key) == 1, "unknown expectation key " << key);
  }
  if (want.contains("from")) {
    if (want["from"].is_null()) CHECK(!mail.from);
    else {
      REQUIRE(mail.from);
      CHECK(mail.from->address == want["from"].get<std::string>());
    }
  }
  if (want.contains("name")) {
    REQUIRE(mail.from);
    CHECK(mail.from->name == want["name"].get<std::string>());
  }
  if (want.contains("subject")) CHECK(mail.subject == want["subject"].get<std::string>());
  if (want.contains("message_id")) CHECK(mail.message_id == no_brackets(want["message_id"].get<std::string>()));
  if (want.contains("in_reply_to")) CHECK(mail.in_reply_to == want["in_reply_to"].get<std::string>());
  if (want.contains("references")) CHECK(mail.references == want["references"].get<std::vector<std::string>>());
  if (want.contains("reply_to")) {
    REQUIRE(mail.reply_to);
    CHECK(mail.reply_to->address == want["reply_to"].get<std::string>());
  }
  if (want.contains("text")) CHECK(mail.text == want["text"].get<std::string>());
  for (auto const& s : want.value("text_contains", json::array())) CHECK_MESSAGE(mail.text.find(s.get<std::string>()) != std::string::npos, s);
  for (auto const& s : want.value("text_excludes", json::array())) CHECK_MESSAGE(mail.text.find(s.get<std::string>()) == std::string::npos, s);
  if (want.contains("attachments")) {
    auto const& list = want["attachments"];
    REQUIRE(mail.attachments.size() == list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      INFO("attachment " << i);
      CHECK(mail.attachments[i].filename == list[i].value("filename", ""));
      CHECK(mail.attachments[i].content_type == list[i].value("content_type", ""));
      if (list[i].contains("size")) CHECK(mail.attachments[i].bytes.size() == list[i]["size"].get<std::size_t>());
    }
  }
  if (want.contains("auto_generated")) CHECK(mail.auto_generated == want["auto_generated"].get<bool>());
  if (want.contains("suppress_auto_reply")) CHECK(mail.suppress_auto_reply == want["suppress_auto_reply"].get<bool>());
  if (want.contains("bounce")) {
    auto const& b = want["bounce"];
    REQUIRE(mail.bounce);
    CHECK(mail.bounce->action == b.value("action", ""));
    CHECK(mail.bounce->status == b.value("status", ""));
    if (b.contains("recipient") && !mail.bounce->heuristic) CHECK(mail.bounce->recipient == b.value("recipient", ""));
    if (b.contains("diagnostic_contains")) CHECK(mail.bounce->diagnostic.find(b["diagnostic_contains"].get<std::string>()) != std::string::npos);
    if (b.contains("message_id")) CHECK(mail.bounce->original_message_id == (b["message_id"].is_null() ? "" : b["message_id"].get<std::string>()));
    CHECK(mail.bounce->heuristic == b.value("heuristic", false));
  } else {
    CHECK(!mail.bounce);
  }
  for (auto const& w : want.value("warnings_include", json::array()))
    CHECK_MESSAGE(std::find(mail.warnings.begin(), mail.warnings.end(), w.get<std::string>()) != mail.warnings.end(), w);
}

TEST_CASE("every mail of the corpus parses to its expectation") {
  auto const names = corpus();
  REQUIRE(names.size() >= 40);
  mail_identity const identity{"gemeente.test", {"info@gemeente.test"}, "bounces"};
  std::vector<json> messages;
  for (auto const& name : names) {
    auto const raw = test::read_fixture("email/" + name + ".eml");
    auto const want = json::parse(test::read_fixture("email/" + name + ".expect.json"));
    auto const mail = parse_mail(raw);
    check(name, mail, want);
    // Whatever the mail, the case-message it becomes is valid.
    auto const p = prepare_mail(mail, {"sender@burger.test", {"info@gemeente.test"}}, identity, {}, "lmtp",
                                "01J00000000000000000000001", "01J00000000000000000000002", "BL-7K3M9Q", timestamp{});
    auto const stored = json::parse(to_json(p.message).dump());
    CHECK_MESSAGE(case_message_from_json(stored).has_value(), name);
    messages.push_back(stored);
  }
  // And the independent validator agrees with the schema for every one of them.
  CHECK(test::schema_errors(messages) == "");
}

std::string header_block(std::string extra = {}) {
  return "From: Jan Jansen <jan@burger.test>\r\nTo: info@gemeente.test\r\nSubject: Groot\r\nMessage-ID: <groot@burger.test>\r\n"
         "Date: Sat, 28 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n" + extra;
}

TEST_CASE("a 1,000-part message is read up to the limits, body first") {
  std::string raw = header_block("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
  raw += "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie de bijlagen.\r\n";
  for (int i = 0; i < 999; ++i)
    raw += "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"deel-" + std::to_string(i) +
           ".bin\"\r\n\r\nxx\r\n";
  raw += "--b--\r\n";
  auto const mail = parse_mail(raw);
  CHECK(mail.text == "Zie de bijlagen.");
  CHECK(mail.attachments.size() == 100);  // the documented default of max_attachments
  CHECK(std::find(mail.warnings.begin(), mail.warnings.end(), "too-many-parts") != mail.warnings.end());
}

TEST_CASE("100 levels of nesting stop at the depth limit without losing the outer text") {
  std::string raw = header_block("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
  raw += "--b0\r\nContent-Type: text/plain\r\n\r\nBuitenste tekst.\r\n";
  for (int i = 0; i < 100; ++i)
    raw += "--b" + std::to_string(i) + "\r\nContent-Type: multipart/mixed; boundary=\"b" + std::to_string(i + 1) + "\"\r\n\r\n";
  raw += "--b100\r\nContent-Type: text/plain\r\n\r\ndiep\r\n";
  for (int i = 100; i >= 0; --i) raw += "--b" + std::to_string(i) + "--\r\n";
  auto const mail = parse_mail(raw);
  CHECK(mail.text == "Buitenste tekst.");
  CHECK(std::find(mail.warnings.begin(), mail.warnings.end(), "nesting-too-deep") != mail.warnings.end());
}

TEST_CASE("a 10 MB header block parses and keeps the body") {
  std::string extra;
  std::string const line = "X-Filler: " + std::string(990, 'a') + "\r\n";
  while (extra.size() < 10 * 1024 * 1024) extra += line;
  auto const raw = header_block(extra + "Content-Type: text/plain; charset=utf-8\r\n\r\nDe tekst na de kopregels.\r\n");
  auto const mail = parse_mail(raw);
  CHECK(mail.subject == "Groot");
  CHECK(mail.text == "De tekst na de kopregels.");
}

TEST_CASE("invalid UTF-8 in headers and body never reaches the stored JSON") {
  std::string const raw = "From: \xff\xfe Naam <jan@burger.test>\r\nSubject: \xc3\x28 kapot\r\nMessage-ID: <\xff@burger.test>\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n\r\nTekst \xe2\x82 half\r\n";
  auto const mail = parse_mail(raw);
  mail_identity const identity{"gemeente.test", {"info@gemeente.test"}, "bounces"};
  auto const p = prepare_mail(mail, {std::string("jan@burger.test"), {"info@gemeente.test"}}, identity, {}, "lmtp",
                              "01J00000000000000000000001", "01J00000000000000000000002", "BL-7K3M9Q", timestamp{});
  std::string dumped;
  CHECK_NOTHROW(dumped = to_json(p.message).dump());
  CHECK(is_valid_utf8(dumped));
  CHECK(p.message.text.find("half") != std::string::npos);
}

TEST_CASE("quoted history after a French, German or wrapped Dutch attribution is cut") {
  CHECK(own_words("Merci.\n\nLe 27 nov. 2026, Gemeente a \xC3\xA9" "crit :\n> oud") == "Merci.");
  CHECK(own_words("Danke.\n\nAm 27.11.2026 schrieb Gemeente <info@gemeente.test>:\n> alt") == "Danke.");
  CHECK(own_words("Dank.\n\nOp vr 27 nov. 2026 om 09:12 schreef Gemeente <\ninfo@gemeente.test>:\n> oud") == "Dank.");
  CHECK(own_words("Le matin je suis thuis.") == "Le matin je suis thuis.");  // no attribution, nothing cut
}

TEST_CASE("bytes that are no mail at all still become text for a person") {
  auto const mail = parse_mail("dit is geen e-mail\x01\x02 maar wel tekst");
  CHECK(mail.text.find("maar wel tekst") != std::string::npos);
  CHECK(!mail.from);
}

} // namespace
} // namespace balie::email
