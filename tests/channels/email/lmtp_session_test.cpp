// The LMTP session (RFC 2033) without sockets: greeting, LHLO and its
// capabilities, the MAIL/RCPT/DATA rules and their refusals, pipelined input
// in one piece or byte by byte, dot-unstuffing, bare CR/LF and the SMTP
// smuggling variants, size limits, and several mails on one connection.
#include "channels/email/lmtp_session.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace balie::email {
namespace {

lmtp_settings settings(std::size_t max_message_bytes = 4096, std::size_t max_recipients = 100) {
  lmtp_settings s;
  s.hostname = "lmtp.gemeente.test";
  s.max_message_bytes = max_message_bytes;
  s.max_recipients = max_recipients;
  s.accepts_recipient = [](std::string_view rcpt) {
    return rcpt == "info@gemeente.test" || rcpt == "balie@gemeente.test" || rcpt == "info+Z-2026-42@gemeente.test";
  };
  return s;
}

/// The reply lines; every reply must end in CRLF and hold no other CR or LF.
std::vector<std::string> reply_lines(std::string_view replies) {
  std::vector<std::string> lines;
  while (!replies.empty()) {
    auto const end = replies.find("\r\n");
    REQUIRE_MESSAGE(end != std::string_view::npos, "a reply without CRLF: " << std::string(replies));
    auto const line = replies.substr(0, end);
    CHECK(line.find_first_of("\r\n") == std::string_view::npos);
    lines.emplace_back(line);
    replies.remove_prefix(end + 2);
  }
  return lines;
}

/// The three-digit codes of the replies, space separated: "250 250 354".
std::string codes(std::string_view replies) {
  std::string out;
  for (auto const& line : reply_lines(replies)) {
    CHECK(line.size() >= 4);  // a code and its separator at least
    if (!out.empty()) out += ' ';
    out += line.substr(0, 3);
  }
  return out;
}

std::string const lhlo = "LHLO mta.gemeente.test\r\n";
std::string const lhlo_codes = "250 250 250 250 250 250";

lmtp_session greeted(lmtp_settings s = settings()) {
  lmtp_session session(std::move(s));
  REQUIRE(codes(session.feed(lhlo).replies) == lhlo_codes);
  return session;
}

/// MAIL from a resident, RCPT for each of `recipients` (all accepted here), DATA.
void start_data(lmtp_session& s, std::vector<std::string> const& recipients = {"info@gemeente.test"}) {
  std::string commands = "MAIL FROM:<burger@burger.test>\r\n";
  std::string want = "250";
  for (auto const& r : recipients) commands += "RCPT TO:<" + r + ">\r\n", want += " 250";
  commands += "DATA\r\n";
  want += " 354";
  auto const out = s.feed(commands);
  REQUIRE(codes(out.replies) == want);
  REQUIRE(!out.message);
}

/// Feeds `input` in pieces of `size` octets; the replies joined, and the one message if any.
lmtp_output feed_in_pieces(lmtp_session& s, std::string_view input, std::size_t size) {
  lmtp_output all;
  for (std::size_t pos = 0; pos < input.size(); pos += size) {
    auto out = s.feed(input.substr(pos, size));
    all.replies += out.replies;
    if (out.message) {
      REQUIRE_MESSAGE(!all.message, "a second message before finish");
      all.message = std::move(out.message);
    }
    all.close = all.close || out.close;
  }
  return all;
}

TEST_CASE("greeting 220 with the host name; goodbye 421 4.4.2") {
  lmtp_session s(settings());
  auto const greeting = s.greeting();
  REQUIRE(reply_lines(greeting).size() == 1);
  CHECK(greeting.starts_with("220 lmtp.gemeente.test"));
  auto const bye = s.goodbye("idle too long");
  REQUIRE(reply_lines(bye).size() == 1);
  CHECK(bye.starts_with("421 4.4.2 "));
}

TEST_CASE("LHLO: the host name, then PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SMTPUTF8 and SIZE, and nothing else") {
  lmtp_session s(settings(4096));
  auto const out = s.feed(lhlo);
  CHECK(!out.close);
  CHECK(!out.message);
  auto const lines = reply_lines(out.replies);
  REQUIRE(lines.size() == 6);
  CHECK(lines.front().starts_with("250-lmtp.gemeente.test"));
  std::vector<std::string> keywords;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    CAPTURE(lines[i]);
    CHECK(lines[i].starts_with(i + 1 == lines.size() ? "250 " : "250-"));  // the last line has a space
    keywords.push_back(lines[i].substr(4));
  }
  std::sort(keywords.begin(), keywords.end());
  // No CHUNKING, BINARYMIME, STARTTLS or AUTH: none of them is implemented.
  CHECK(keywords == std::vector<std::string>{"8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "SIZE 4096", "SMTPUTF8"});

  CHECK(codes(lmtp_session(settings()).feed("lhlo mta.gemeente.test\r\n").replies) == lhlo_codes);  // verbs are case-insensitive
}

TEST_CASE("LHLO without a host name is refused (501) and does not greet") {
  lmtp_session s(settings());
  CHECK(codes(s.feed("LHLO\r\nMAIL FROM:<burger@burger.test>\r\n").replies) == "501 503");
}

TEST_CASE("HELO and EHLO are refused with 500: this is LMTP") {
  lmtp_session s(settings());
  auto const out = s.feed("HELO mta.gemeente.test\r\nEHLO mta.gemeente.test\r\nMAIL FROM:<burger@burger.test>\r\n");
  CHECK(codes(out.replies) == "500 500 503");  // and neither counts as a greeting
  CHECK(!out.close);
}

TEST_CASE("before LHLO: MAIL, RCPT and DATA are refused with 503; NOOP, RSET and QUIT work") {
  lmtp_session s(settings());
  auto const out = s.feed("MAIL FROM:<burger@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\nNOOP\r\nRSET\r\n");
  CHECK(codes(out.replies) == "503 503 503 250 250");
  CHECK(!out.message);
  auto const quit = s.feed("QUIT\r\n");
  CHECK(codes(quit.replies) == "221");
  CHECK(quit.close);
}

TEST_CASE("QUIT: 221 and close; nothing after it is answered") {
  auto s = greeted();
  auto const out = s.feed("QUIT\r\nNOOP\r\nMAIL FROM:<burger@burger.test>\r\n");
  CHECK(codes(out.replies) == "221");
  CHECK(out.close);
}

TEST_CASE("MAIL FROM:<> (a bounce or auto-reply) is accepted and the message's sender is empty") {
  auto s = greeted();
  auto const out = s.feed("MAIL FROM:<>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\nSubject: Onbestelbaar\r\n\r\ntekst\r\n.\r\n");
  CHECK(codes(out.replies) == "250 250 354");
  REQUIRE(out.message);
  CHECK(out.message->sender.empty());
  CHECK(out.message->recipients == std::vector<std::string>{"info@gemeente.test"});
  CHECK(out.message->data == "Subject: Onbestelbaar\r\n\r\ntekst\r\n");
}

TEST_CASE("MAIL FROM: a source route is dropped, the mailbox kept") {
  auto s = greeted();
  auto const out = s.feed("MAIL FROM:<@relay.burger.test:burger@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\nx\r\n.\r\n");
  CHECK(codes(out.replies) == "250 250 354");
  REQUIRE(out.message);
  CHECK(out.message->sender == "burger@burger.test");
}

TEST_CASE("MAIL FROM parameters: BODY, SMTPUTF8 and SIZE within the limit pass; SIZE over it 552 5.3.4; unknown 555; bad syntax 501") {
  struct mail_case {
    char const* command;
    char const* code;      // the reply to the command
    char const* enhanced;  // its enhanced code, where it matters
  };
  // max_message_bytes is 4096.
  for (auto const& c :
       {mail_case{"MAIL FROM:<burger@burger.test> BODY=8BITMIME", "250", ""}, mail_case{"MAIL FROM:<burger@burger.test> BODY=7BIT", "250", ""},
        mail_case{"MAIL FROM:<zoë@bücher.test> SMTPUTF8", "250", ""}, mail_case{"MAIL FROM:<burger@burger.test> SIZE=4096", "250", ""},
        mail_case{"MAIL FROM:<burger@burger.test> SIZE=100 BODY=8BITMIME SMTPUTF8", "250", ""},
        mail_case{"mail from:<burger@burger.test> size=10 body=8bitmime", "250", ""},
        mail_case{"MAIL FROM:<burger@burger.test> SIZE=4097", "552", "552 5.3.4"},
        mail_case{"MAIL FROM:<burger@burger.test> SIZE=10485760", "552", "552 5.3.4"},
        mail_case{"MAIL FROM:<burger@burger.test> SIZE=abc", "501", ""}, mail_case{"MAIL FROM:<burger@burger.test> SIZE=", "501", ""},
        mail_case{"MAIL FROM:<burger@burger.test> SIZE=-1", "501", ""},
        mail_case{"MAIL FROM:<burger@burger.test> RET=HDRS", "555", "555 5.5.4"},
        mail_case{"MAIL FROM:<burger@burger.test> BODY=BINARYMIME", "555", "555 5.5.4"},
        mail_case{"MAIL FROM:<burger@burger.test> BODY=8BITMIME XFORWARD=1", "555", "555 5.5.4"},
        mail_case{"MAIL FROM:burger@burger.test", "501", ""}, mail_case{"MAIL FROM:<burger>", "501", ""},
        mail_case{"MAIL FROM:<burger burger@burger.test>", "501", ""}, mail_case{"MAIL FROM:<burger@burger.test", "501", ""}}) {
    auto const command = c.command, code = c.code, enhanced = c.enhanced;  // clang 14 cannot capture a structured binding
    CAPTURE(command);
    auto s = greeted();
    // A refused MAIL leaves no sender, so a second MAIL is accepted; an accepted one makes it 503.
    auto const out = s.feed(std::string(command) + "\r\nMAIL FROM:<burger@burger.test>\r\n");
    auto const lines = reply_lines(out.replies);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].substr(0, 3) == code);
    if (*enhanced) CHECK(lines[0].starts_with(enhanced));
    CHECK(lines[1].substr(0, 3) == (std::string(code) == "250" ? "503" : "250"));
  }
}

TEST_CASE("RCPT TO: accepted or refused by accepts_recipient (550 5.1.1); before MAIL 503; bad syntax 501; parameters 555") {
  std::vector<std::string> asked;
  auto config = settings();
  config.accepts_recipient = [&asked](std::string_view rcpt) {
    asked.emplace_back(rcpt);
    return rcpt == "info@gemeente.test";
  };
  auto s = greeted(config);
  CHECK(codes(s.feed("RCPT TO:<info@gemeente.test>\r\n").replies) == "503");
  CHECK(asked.empty());

  auto const out = s.feed(
      "MAIL FROM:<burger@burger.test>\r\n"
      "RCPT TO:<info@gemeente.test>\r\n"
      "RCPT TO:<onbekend@gemeente.test>\r\n"
      "RCPT TO:<INFO@Gemeente.test>\r\n"
      "RCPT TO:<geen-apenstaart>\r\n"
      "RCPT TO:info@gemeente.test\r\n"
      "RCPT TO:<info@gemeente.test> NOTIFY=NEVER\r\n");
  auto const lines = reply_lines(out.replies);
  CHECK(codes(out.replies) == "250 250 550 550 501 501 555");
  REQUIRE(lines.size() == 7);
  CHECK(lines[2].starts_with("550 5.1.1"));
  CHECK(lines[3].starts_with("550 5.1.1"));
  // The address reaches the callback as given; case folding is the callee's business.
  CHECK(asked == std::vector<std::string>{"info@gemeente.test", "onbekend@gemeente.test", "INFO@Gemeente.test"});

  auto const data = s.feed("DATA\r\ntekst\r\n.\r\n");
  CHECK(codes(data.replies) == "354");
  REQUIRE(data.message);
  CHECK(data.message->recipients == std::vector<std::string>{"info@gemeente.test"});
}

TEST_CASE("RCPT TO without an accepts_recipient callback refuses every recipient") {
  auto config = settings();
  config.accepts_recipient = nullptr;
  auto s = greeted(config);
  auto const out = s.feed("MAIL FROM:<burger@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\n");
  CHECK(codes(out.replies) == "250 550 503");
  CHECK(!out.message);
}

TEST_CASE("max_recipients: a recipient past the limit hears 452 4.5.3 and is not delivered to") {
  auto s = greeted(settings(4096, 2));
  auto const out = s.feed(
      "MAIL FROM:<burger@burger.test>\r\n"
      "RCPT TO:<info@gemeente.test>\r\n"
      "RCPT TO:<balie@gemeente.test>\r\n"
      "RCPT TO:<info+Z-2026-42@gemeente.test>\r\n"
      "DATA\r\ntekst\r\n.\r\n");
  CHECK(codes(out.replies) == "250 250 250 452 354");
  auto const lines = reply_lines(out.replies);
  REQUIRE(lines.size() == 5);
  CHECK(lines[3].starts_with("452 4.5.3"));
  REQUIRE(out.message);
  CHECK(out.message->recipients == std::vector<std::string>{"info@gemeente.test", "balie@gemeente.test"});
}

TEST_CASE("DATA needs MAIL and at least one accepted recipient (503)") {
  auto s = greeted();
  CHECK(codes(s.feed("DATA\r\n").replies) == "503");
  auto const out = s.feed("MAIL FROM:<burger@burger.test>\r\nDATA\r\nRCPT TO:<onbekend@gemeente.test>\r\nDATA\r\n");
  CHECK(codes(out.replies) == "250 503 550 503");
  CHECK(!out.message);
  // Still in command mode: a real recipient, then DATA works.
  CHECK(codes(s.feed("RCPT TO:<info@gemeente.test>\r\nDATA\r\n").replies) == "250 354");
}

TEST_CASE("a whole transaction pipelined in one feed: replies in order up to 354, the message, QUIT answered only after finish") {
  std::string const input =
      "LHLO mta.gemeente.test\r\n"
      "MAIL FROM:<burger@burger.test> BODY=8BITMIME\r\n"
      "RCPT TO:<info@gemeente.test>\r\n"
      "RCPT TO:<onbekend@gemeente.test>\r\n"
      "RCPT TO:<info+Z-2026-42@gemeente.test>\r\n"
      "DATA\r\n"
      "From: burger@burger.test\r\n"
      "Subject: Vraag\r\n"
      "\r\n"
      "..hallo\r\n"
      "...\r\n"
      "regel met punt.\r\n"
      " .\r\n"
      ".\r\n"
      "QUIT\r\n";
  std::string const want_data =
      "From: burger@burger.test\r\n"
      "Subject: Vraag\r\n"
      "\r\n"
      ".hallo\r\n"
      "..\r\n"
      "regel met punt.\r\n"
      " .\r\n";
  std::vector<std::string> const want_recipients{"info@gemeente.test", "info+Z-2026-42@gemeente.test"};

  lmtp_session s(settings());
  auto const out = s.feed(input);
  CHECK(codes(out.replies) == lhlo_codes + " 250 250 550 250 354");
  auto const lines = reply_lines(out.replies);
  REQUIRE(lines.size() == 11);
  CHECK(lines[8].starts_with("550 5.1.1"));
  CHECK(out.replies.find("221") == std::string::npos);  // QUIT waits for the per-recipient replies
  CHECK(!out.close);
  REQUIRE(out.message);
  CHECK(out.message->sender == "burger@burger.test");
  CHECK(out.message->recipients == want_recipients);
  CHECK(out.message->data == want_data);

  auto const done = s.finish({"250 a", "250 b"});
  CHECK(!done.message);
  CHECK(done.replies.starts_with("250 a\r\n250 b\r\n221 "));
  CHECK(reply_lines(done.replies).size() == 3);
  CHECK(done.close);

  SUBCASE("the same input fed one byte at a time gives the same replies and message") {
    lmtp_session bytewise(settings());
    auto const all = feed_in_pieces(bytewise, input, 1);
    CHECK(all.replies == out.replies);
    CHECK(!all.close);
    REQUIRE(all.message);
    CHECK(all.message->sender == "burger@burger.test");
    CHECK(all.message->recipients == want_recipients);
    CHECK(all.message->data == want_data);
    auto const finished = bytewise.finish({"250 a", "250 b"});
    CHECK(finished.replies == done.replies);
    CHECK(finished.close);
  }
}

TEST_CASE("input arriving while a message is stored waits for finish, so replies keep their order") {
  auto s = greeted();
  start_data(s);
  auto const out = s.feed("tekst\r\n.\r\nNOOP\r\nRSET\r\n");
  CHECK(out.replies.empty());
  REQUIRE(out.message);
  auto const more = s.feed("VRFY info\r\n");
  CHECK(more.replies.empty());
  CHECK(!more.message);
  auto const done = s.finish({"250 2.0.0 <info@gemeente.test> Stored as BL-7K3M9Q"});
  CHECK(codes(done.replies) == "250 250 250 252");
  CHECK(done.replies.starts_with("250 2.0.0 <info@gemeente.test> Stored as BL-7K3M9Q\r\n"));
  CHECK(!done.close);
}

TEST_CASE("finish passes the per-recipient replies through verbatim, each with CRLF") {
  auto s = greeted();
  start_data(s, {"info@gemeente.test", "balie@gemeente.test"});
  REQUIRE(s.feed("tekst\r\n.\r\n").message);
  auto const done = s.finish({"451 4.3.0 <info@gemeente.test> Temporary failure, try again later", "250 2.0.0 <balie@gemeente.test> Stored as BL-7K3M9Q"});
  CHECK(done.replies ==
        "451 4.3.0 <info@gemeente.test> Temporary failure, try again later\r\n"
        "250 2.0.0 <balie@gemeente.test> Stored as BL-7K3M9Q\r\n");
  CHECK(!done.close);
  CHECK(!done.message);
}

TEST_CASE("dot-unstuffing: one leading dot is removed; a line \".\" ends the data only right after CRLF") {
  auto s = greeted();
  start_data(s);
  auto const out = s.feed(
      "..hallo\r\n"
      "...\r\n"
      ".x\r\n"  // RFC 5321 4.5.2: a leading dot with more on the line is deleted
      "a.\r\n"
      " .\r\n"
      ". \r\n"
      ".\r\n");
  CHECK(out.replies.empty());
  REQUIRE(out.message);
  CHECK(out.message->data == ".hallo\r\n..\r\nx\r\na.\r\n .\r\n \r\n");

  SUBCASE("the end of data split over three reads") {
    auto t = greeted();
    start_data(t);
    CHECK(!t.feed("tekst\r\n.").message);
    CHECK(!t.feed("\r").message);
    auto const end = t.feed("\n");
    REQUIRE(end.message);
    CHECK(end.message->data == "tekst\r\n");
  }
  SUBCASE("an empty message") {
    auto t = greeted();
    start_data(t);
    auto const end = t.feed(".\r\n");
    REQUIRE(end.message);
    CHECK(end.message->data.empty());
  }
}

TEST_CASE("bare LF or bare CR in the data: after the final dot one 550 5.6.0 per recipient, no message, and the session goes on") {
  for (auto const* body : {"a\nb\r\n.\r\n", "a\rb\r\n.\r\n", "a\r\r\nb\r\n.\r\n", "Subject: x\n\r\ntekst\r\n.\r\n"}) {
    CAPTURE(body);
    auto s = greeted();
    start_data(s, {"info@gemeente.test", "balie@gemeente.test"});
    auto const out = s.feed(body);
    CHECK(!out.message);
    CHECK(!out.close);
    auto const lines = reply_lines(out.replies);
    REQUIRE(lines.size() == 2);
    for (auto const& line : lines) CHECK(line.starts_with("550 5.6.0"));

    start_data(s);
    auto const next = s.feed("a\r\nb\r\n.\r\n");
    REQUIRE(next.message);
    CHECK(next.message->data == "a\r\nb\r\n");
  }
}

TEST_CASE("SMTP smuggling: only CRLF.CRLF ends the data; a MAIL FROM after any other dot line is data, not a command") {
  // A lone CR or LF before the dot is not a line start, so nothing after it is a command.
  std::string const smuggled =
      "MAIL FROM:<nep@burger.test>\r\n"
      "RCPT TO:<info@gemeente.test>\r\n"
      "DATA\r\n"
      "nep\r\n"
      ".\r\n";
  for (auto const* end : {"\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n\r.\r\n", "\r\n\n.\r\n"}) {
    CAPTURE(end);
    auto s = greeted();
    start_data(s);
    auto const out = s.feed("tekst" + std::string(end) + smuggled);
    CHECK(codes(out.replies) == "550");  // one recipient, and no smuggled "250 250 354" with a second message
    CHECK(!out.message);
  }
}

TEST_CASE("a message over max_message_bytes: 552 5.3.4 per recipient, no message, and the session takes the next one") {
  auto s = greeted(settings(64));
  start_data(s, {"info@gemeente.test", "balie@gemeente.test"});
  auto const out = s.feed(std::string(40, 'x') + "\r\n" + std::string(40, 'y') + "\r\n.\r\n");
  CHECK(!out.message);
  CHECK(!out.close);
  auto const lines = reply_lines(out.replies);
  REQUIRE(lines.size() == 2);
  for (auto const& line : lines) CHECK(line.starts_with("552 5.3.4"));

  start_data(s);
  auto const small = s.feed("klein\r\n.\r\n");
  REQUIRE(small.message);
  CHECK(small.message->data == "klein\r\n");
  CHECK(s.finish({"250 ok"}).replies == "250 ok\r\n");

  // The limit counts the message as stored (CRLF included): 64 octets pass, 65 do not.
  start_data(s);
  auto const exact = s.feed(std::string(62, 'z') + "\r\n.\r\n");
  REQUIRE(exact.message);
  CHECK(exact.message->data == std::string(62, 'z') + "\r\n");
  s.finish({"250 ok"});
  start_data(s);
  auto const over = s.feed(std::string(63, 'z') + "\r\n.\r\n");
  CHECK(!over.message);
  CHECK(codes(over.replies) == "552");
}

TEST_CASE("a command line over 2048 octets without a line end: 500 5.5.2 and close") {
  auto s = greeted();
  auto const out = s.feed(std::string(2049, 'x'));
  CHECK(codes(out.replies) == "500");
  CHECK(out.replies.starts_with("500 5.5.2"));
  CHECK(out.close);

  SUBCASE("2048 octets are still a command line, waiting for its end") {
    auto t = greeted();
    auto const noop = "NOOP " + std::string(2043, 'x');
    REQUIRE(noop.size() == 2048);
    auto const partial = t.feed(noop);
    CHECK(partial.replies.empty());
    CHECK(!partial.close);
    CHECK(codes(t.feed("\r\n").replies) == "250");
  }
  SUBCASE("a complete over-long line is refused with 500 5.5.2, not carried out") {
    auto t = greeted();
    auto const long_mail = t.feed("MAIL FROM:<burger@burger.test>" + std::string(3000, ' ') + "\r\n");
    CHECK(codes(long_mail.replies) == "500");
    CHECK(long_mail.replies.starts_with("500 5.5.2"));
  }
}

TEST_CASE("a 200 KB data line without a break is accepted intact, in one feed and in 64 KB reads") {
  std::string line;
  while (line.size() < 200 * 1024) line += "0123456789abcdefghijklmnopqrstuvwxyz";
  auto const input = line + "\r\n" + "kort\r\n.\r\n";
  auto const want = line + "\r\nkort\r\n";

  SUBCASE("one feed") {
    auto s = greeted(settings(1 << 20));
    start_data(s);
    auto const out = s.feed(input);
    CHECK(out.replies.empty());
    REQUIRE(out.message);
    CHECK(out.message->data == want);
  }
  SUBCASE("64 KB reads, as the server reads") {
    auto s = greeted(settings(1 << 20));
    start_data(s);
    auto const out = feed_in_pieces(s, input, 64 * 1024);
    CHECK(out.replies.empty());
    REQUIRE(out.message);
    CHECK(out.message->data == want);
  }
  SUBCASE("a stuffed long line loses one dot; a dot where a later read begins is kept") {
    auto const stuffed = ".." + std::string(70000 - 2, 'a') + "." + std::string(130000, 'b');
    auto s = greeted(settings(1 << 20));
    start_data(s);
    auto const out = feed_in_pieces(s, stuffed + "\r\n.\r\n", 70000);
    CHECK(out.replies.empty());
    REQUIRE(out.message);
    CHECK(out.message->data == stuffed.substr(1) + "\r\n");
  }
}

TEST_CASE("RSET clears the transaction; NOOP 250; VRFY 252") {
  auto s = greeted();
  CHECK(codes(s.feed("MAIL FROM:<burger@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nRSET\r\nDATA\r\n").replies) == "250 250 250 503");
  auto const out = s.feed("MAIL FROM:<ander@burger.test>\r\nRCPT TO:<balie@gemeente.test>\r\nDATA\r\ntekst\r\n.\r\n");
  CHECK(codes(out.replies) == "250 250 354");
  REQUIRE(out.message);
  CHECK(out.message->sender == "ander@burger.test");
  CHECK(out.message->recipients == std::vector<std::string>{"balie@gemeente.test"});
  s.finish({"250 ok"});

  CHECK(codes(s.feed("NOOP\r\n").replies) == "250");
  CHECK(codes(s.feed("VRFY info@gemeente.test\r\n").replies) == "252");
}

TEST_CASE("LHLO in the middle of a transaction resets it") {
  auto s = greeted();
  CHECK(codes(s.feed("MAIL FROM:<burger@burger.test>\r\n" + lhlo + "MAIL FROM:<ander@burger.test>\r\n").replies) == "250 " + lhlo_codes + " 250");
}

TEST_CASE("a second MAIL without RSET is refused with 503 and the first sender stays") {
  auto s = greeted();
  auto const out = s.feed("MAIL FROM:<burger@burger.test>\r\nMAIL FROM:<ander@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\nx\r\n.\r\n");
  CHECK(codes(out.replies) == "250 503 250 354");
  REQUIRE(out.message);
  CHECK(out.message->sender == "burger@burger.test");
}

TEST_CASE("unsupported and unknown commands: 502 and 500") {
  auto s = greeted();
  CHECK(codes(s.feed("BDAT 10 LAST\r\nSTARTTLS\r\nAUTH PLAIN\r\nXYZZY\r\n").replies) == "502 502 502 500");
}

TEST_CASE("two mails on one connection: after finish the next transaction starts clean") {
  auto s = greeted();
  start_data(s, {"info@gemeente.test", "balie@gemeente.test"});
  auto const first = s.feed("eerste\r\n.\r\n");
  REQUIRE(first.message);
  auto const done = s.finish({"250 2.0.0 een", "250 2.0.0 twee"});
  CHECK(done.replies == "250 2.0.0 een\r\n250 2.0.0 twee\r\n");
  CHECK(!done.close);

  auto const second = s.feed("MAIL FROM:<>\r\nRCPT TO:<info+Z-2026-42@gemeente.test>\r\nDATA\r\ntweede\r\n.\r\n");
  CHECK(codes(second.replies) == "250 250 354");
  REQUIRE(second.message);
  CHECK(second.message->sender.empty());
  CHECK(second.message->recipients == std::vector<std::string>{"info+Z-2026-42@gemeente.test"});
  CHECK(second.message->data == "tweede\r\n");
  CHECK(s.finish({"250 2.0.0 drie"}).replies == "250 2.0.0 drie\r\n");

  SUBCASE("both mails pipelined in one feed: the second is taken up by finish") {
    auto t = greeted();
    auto const out = t.feed(
        "MAIL FROM:<burger@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\neerste\r\n.\r\n"
        "MAIL FROM:<ander@burger.test>\r\nRCPT TO:<balie@gemeente.test>\r\nDATA\r\ntweede\r\n.\r\n");
    CHECK(codes(out.replies) == "250 250 354");
    REQUIRE(out.message);
    CHECK(out.message->data == "eerste\r\n");
    auto const next = t.finish({"250 a"});
    CHECK(codes(next.replies) == "250 250 250 354");
    CHECK(next.replies.starts_with("250 a\r\n"));
    REQUIRE(next.message);
    CHECK(next.message->sender == "ander@burger.test");
    CHECK(next.message->recipients == std::vector<std::string>{"balie@gemeente.test"});
    CHECK(next.message->data == "tweede\r\n");
    CHECK(t.finish({"250 b"}).replies == "250 b\r\n");
  }
}

} // namespace
} // namespace balie::email
