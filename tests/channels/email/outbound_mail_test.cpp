// Outgoing mail as RFC 5322 text: the headers (date, addresses, threading,
// auto-reply marks), RFC 2047 subjects and names, header injection refused,
// line lengths, the multipart/alternative body, quoted-printable (decoded
// here by an independent decoder) and the accessible HTML version.
#include "channels/email/outbound_mail.hpp"
#include "channels/text.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace balie::email {
namespace {

using namespace std::chrono;

/// Splits on CRLF (n line ends give n + 1 pieces); a bare CR or LF fails the test.
std::vector<std::string> crlf_lines(std::string_view s) {
  std::vector<std::string> lines;
  for (;;) {
    auto const end = s.find("\r\n");
    auto const line = s.substr(0, end);
    CHECK_MESSAGE(line.find_first_of("\r\n") == std::string_view::npos, "bare CR or LF in: " << std::string(line));
    lines.emplace_back(line);
    if (end == std::string_view::npos) return lines;
    s.remove_prefix(end + 2);
  }
}

std::string with_crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\r\n";
    else out += c;
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;  // RFC 2045 6.7: upper case
  return -1;
}

/// Quoted-printable decoding (RFC 2045 6.7), CRLF line ends kept, soft breaks removed.
std::string qp_decode(std::string_view encoded) {
  std::string out;
  auto const lines = crlf_lines(encoded);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    bool const soft = line.ends_with('=');
    if (soft) line.remove_suffix(1);
    for (std::size_t j = 0; j < line.size(); ++j) {
      if (line[j] != '=') {
        out += line[j];
        continue;
      }
      REQUIRE_MESSAGE(j + 2 < line.size(), "'=' without two hex digits in: " << lines[i]);
      auto const hi = hex_digit(line[j + 1]), lo = hex_digit(line[j + 2]);
      REQUIRE_MESSAGE((hi >= 0 && lo >= 0), "bad escape in: " << lines[i]);
      out += static_cast<char>(hi * 16 + lo);
      j += 2;
    }
    if (!soft && i + 1 < lines.size()) out += "\r\n";
  }
  return out;
}

/// The rules an encoded body must keep: at most 76 characters a line, only
/// printable ASCII, space and tab, no white space at a line end, '=' only as
/// an escape or a soft break.
void check_qp_form(std::string_view encoded) {
  for (auto const& line : crlf_lines(encoded)) {
    CAPTURE(line);
    CHECK(line.size() <= 76);
    if (!line.empty()) CHECK((line.back() != ' ' && line.back() != '\t'));
    bool allowed = true, escapes = true;
    for (std::size_t j = 0; j < line.size(); ++j) {
      auto const c = static_cast<unsigned char>(line[j]);
      allowed = allowed && ((c >= 33 && c <= 126) || c == ' ' || c == '\t');
      if (c == '=' && j + 1 < line.size())
        escapes = escapes && j + 2 < line.size() && hex_digit(line[j + 1]) >= 0 && hex_digit(line[j + 2]) >= 0;
    }
    CHECK_MESSAGE(allowed, "a character quoted-printable must encode");
    CHECK_MESSAGE(escapes, "'=' that is neither an escape nor a soft break");
  }
}

std::string base64_decode(std::string_view in) {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  REQUIRE(in.size() % 4 == 0);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : in) {
    if (c == '=') break;
    auto const v = alphabet.find(c);
    REQUIRE(v != std::string_view::npos);
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

/// The text of a value made only of RFC 2047 "B" encoded words in UTF-8,
/// possibly folded; white space between adjacent encoded words is not text
/// (RFC 2047 6.2). Each word must be at most 75 characters and hold whole
/// UTF-8 characters (RFC 2047 2 and 5).
std::string decode_words(std::string_view value) {
  std::string out;
  std::size_t pos = 0;
  while (pos < value.size()) {
    if (value[pos] == ' ' || value[pos] == '\t' || value[pos] == '\r' || value[pos] == '\n') {
      ++pos;
      continue;
    }
    auto const prefix = ascii_lower(value.substr(pos, 10));
    REQUIRE_MESSAGE(prefix == "=?utf-8?b?", "not an encoded word: " << std::string(value.substr(pos)));
    auto const end = value.find("?=", pos + 10);
    REQUIRE(end != std::string_view::npos);
    CHECK(end + 2 - pos <= 75);
    auto const word = base64_decode(value.substr(pos + 10, end - pos - 10));
    CHECK_MESSAGE(is_valid_utf8(word), "an encoded word splits a character");
    out += word;
    pos = end + 2;
  }
  return out;
}

/// Removes the CRLF of each fold (RFC 5322 2.2.3).
std::string unfold(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value.substr(i, 2) == "\r\n") {
      ++i;
      continue;
    }
    out += value[i];
  }
  return out;
}

struct header_field {
  std::string name;
  std::string value;  ///< as written after ": ", folds (CRLF + white space) kept
};

struct mail_text {
  std::vector<header_field> headers;
  std::string body;
};

mail_text split_mail(std::string const& mail) {
  auto const end = mail.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  mail_text m;
  m.body = mail.substr(end + 4);
  for (auto const& line : crlf_lines(std::string_view(mail).substr(0, end))) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      REQUIRE(!m.headers.empty());
      m.headers.back().value += "\r\n" + line;
      continue;
    }
    auto const colon = line.find(':');
    REQUIRE_MESSAGE(colon != std::string::npos, "not a header line: " << line);
    auto value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.erase(0, 1);
    m.headers.push_back({line.substr(0, colon), value});
  }
  return m;
}

std::size_t count(mail_text const& m, std::string_view name) {
  std::size_t n = 0;
  for (auto const& h : m.headers)
    if (ascii_lower(h.name) == ascii_lower(name)) ++n;
  return n;
}

/// The value of a header that must appear exactly once.
std::string header(mail_text const& m, std::string_view name) {
  REQUIRE_MESSAGE(count(m, name) == 1, "header " << std::string(name) << " is not there exactly once");
  for (auto const& h : m.headers)
    if (ascii_lower(h.name) == ascii_lower(name)) return h.value;
  return {};
}

/// The lines of the header block as written, folds as separate lines.
std::vector<std::string> header_lines(std::string const& mail) { return crlf_lines(std::string_view(mail).substr(0, mail.find("\r\n\r\n"))); }

struct body_part {
  std::vector<std::string> headers;
  std::string content;
};

/// The parts of a multipart body (RFC 2046 5.1.1): no preamble, a closing delimiter, no epilogue.
std::vector<body_part> parts_of(std::string const& body, std::string const& boundary) {
  auto const first = "--" + boundary + "\r\n";
  REQUIRE(body.starts_with(first));
  auto const delimiter = "\r\n--" + boundary;
  std::vector<body_part> parts;
  std::size_t pos = first.size();
  for (;;) {
    auto const next = body.find(delimiter, pos);
    REQUIRE(next != std::string::npos);
    auto const part = body.substr(pos, next - pos);
    auto const blank = part.find("\r\n\r\n");
    REQUIRE(blank != std::string::npos);
    parts.push_back({crlf_lines(std::string_view(part).substr(0, blank)), part.substr(blank + 4)});
    pos = next + delimiter.size();
    if (body.compare(pos, 2, "--") == 0) {
      CHECK(body.substr(pos) == "--\r\n");
      return parts;
    }
    REQUIRE(body.compare(pos, 2, "\r\n") == 0);
    pos += 2;
  }
}

/// RFC 5322 2.1.1 and 2.3: lines of at most 998 octets, CRLF only; and 7-bit, since nothing here declares 8BITMIME content.
void check_lines(std::string const& mail) {
  auto const lines = crlf_lines(mail);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    CAPTURE(i);
    CHECK(lines[i].size() <= 998);
    CHECK_MESSAGE(std::all_of(lines[i].begin(), lines[i].end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }),
                  "8-bit octet on line " << i);
  }
}

timestamp const saturday_morning = time_point_cast<milliseconds>(sys_days{2026y / November / 28} + hours{10});

outbound_mail staff_reply() {
  outbound_mail m;
  m.from_address = "info@gemeente.test";
  m.from_name = "Gemeente Voorbeeld";
  m.to_address = "j.devries@burger.test";
  m.to_name = "J. de Vries";
  m.reply_to = "info+Z-2026-42@gemeente.test";
  m.subject = "Re: Uw aanvraag [Zaak Z-2026-42]";
  m.message_id = "case-42.reply-1.k7q2@gemeente.test";
  m.in_reply_to = "resident-1@burger.test";
  m.references = {"resident-0@burger.test", "resident-1@burger.test"};
  m.text = "Beste burger,\n\nUw aanvraag voor een parkeervergunning is ontvangen.\nZie https://www.gemeente.test/parkeren.\n\nMet vriendelijke groet,\nGemeente Voorbeeld";
  m.date = saturday_morning;
  m.boundary = "balie-7f3a9c";
  return m;
}

std::string composed(outbound_mail const& m) {
  auto const r = compose_mail(m);
  REQUIRE_MESSAGE(r.has_value(), "refused: " << r.error().type);
  return *r;
}

TEST_CASE("compose_mail: the headers of a staff reply, exact") {
  auto const mail = composed(staff_reply());
  check_lines(mail);
  auto const m = split_mail(mail);
  CHECK(header(m, "Date") == "Sat, 28 Nov 2026 10:00:00 +0000");
  CHECK(header(m, "From") == "\"Gemeente Voorbeeld\" <info@gemeente.test>");
  CHECK(header(m, "To") == "\"J. de Vries\" <j.devries@burger.test>");
  CHECK(header(m, "Reply-To") == "\"Gemeente Voorbeeld\" <info+Z-2026-42@gemeente.test>");
  CHECK(header(m, "Subject") == "Re: Uw aanvraag [Zaak Z-2026-42]");
  CHECK(header(m, "Message-ID") == "<case-42.reply-1.k7q2@gemeente.test>");
  CHECK(header(m, "In-Reply-To") == "<resident-1@burger.test>");
  CHECK(header(m, "References") == "\r\n <resident-0@burger.test>\r\n <resident-1@burger.test>");
  CHECK(header(m, "Auto-Submitted") == "no");
  CHECK(count(m, "X-Auto-Response-Suppress") == 0);
  CHECK(header(m, "Content-Language") == "nl");
  CHECK(header(m, "MIME-Version") == "1.0");
  CHECK(header(m, "Content-Type") == "multipart/alternative; boundary=\"balie-7f3a9c\"");
  CHECK(count(m, "Bcc") == 0);
  CHECK(count(m, "Cc") == 0);
}

TEST_CASE("compose_mail: optional headers are left out when empty") {
  auto mail = staff_reply();
  mail.in_reply_to.clear();
  mail.references.clear();
  mail.reply_to.clear();
  mail.to_name.clear();
  auto const m = split_mail(composed(mail));
  CHECK(count(m, "In-Reply-To") == 0);
  CHECK(count(m, "References") == 0);
  CHECK(count(m, "Reply-To") == 0);
  CHECK(header(m, "To") == "<j.devries@burger.test>");
}

TEST_CASE("compose_mail: References keeps the last 10 of 12, oldest first, one per line") {
  auto mail = staff_reply();
  mail.references.clear();
  for (int i = 1; i <= 12; ++i) mail.references.push_back("r" + std::to_string(i) + "@burger.test");
  std::string want;
  for (int i = 3; i <= 12; ++i) want += "\r\n <r" + std::to_string(i) + "@burger.test>";
  auto const m = split_mail(composed(mail));
  CHECK(header(m, "References") == want);
}

TEST_CASE("compose_mail: an automatic acknowledgement says so (RFC 3834 and Exchange)") {
  auto mail = staff_reply();
  mail.automatic = true;
  auto const m = split_mail(composed(mail));
  CHECK(header(m, "Auto-Submitted") == "auto-replied");
  CHECK(header(m, "X-Auto-Response-Suppress") == "All");
}

TEST_CASE("compose_mail: multipart/alternative with text/plain then text/html, both quoted-printable UTF-8, and a closing boundary") {
  auto const original = staff_reply();
  auto const mail = composed(original);
  auto const m = split_mail(mail);
  CHECK(m.body.ends_with("\r\n--balie-7f3a9c--\r\n"));
  auto const parts = parts_of(m.body, "balie-7f3a9c");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].headers == std::vector<std::string>{"Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"});
  CHECK(parts[1].headers == std::vector<std::string>{"Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"});
  check_qp_form(parts[0].content);
  check_qp_form(parts[1].content);
  CHECK(qp_decode(parts[0].content) == with_crlf(original.text));
  auto const html = qp_decode(parts[1].content);
  CHECK(html.find("<html lang=\"nl\">") != std::string::npos);
  CHECK(html.find("<title>Re: Uw aanvraag [Zaak Z-2026-42]</title>") != std::string::npos);
  CHECK(html.find("<a href=\"https://www.gemeente.test/parkeren\">https://www.gemeente.test/parkeren</a>") != std::string::npos);
}

TEST_CASE("compose_mail: another language shows in Content-Language and in the HTML") {
  auto mail = staff_reply();
  mail.language = "en";
  auto const m = split_mail(composed(mail));
  CHECK(header(m, "Content-Language") == "en");
  auto const parts = parts_of(m.body, mail.boundary);
  REQUIRE(parts.size() == 2);
  CHECK(qp_decode(parts[1].content).find("<html lang=\"en\">") != std::string::npos);
}

TEST_CASE("compose_mail: a non-ASCII subject is RFC 2047 encoded and decodes to the original") {
  auto mail = staff_reply();
  mail.subject = "Uw aanvraag parkeervergunning – één vraag";
  auto const text = composed(mail);
  check_lines(text);
  auto const subject = header(split_mail(text), "Subject");
  CHECK(subject.starts_with("=?UTF-8?B?"));
  CHECK(decode_words(subject) == mail.subject);

  SUBCASE("a long one is split into several words of whole characters") {
    mail.subject = "Re: Uw aanvraag parkeervergunning – één vraag over de bewonersvergunning in zone Centrum-Oost, ingediend op 28 november";
    auto const long_text = composed(mail);
    check_lines(long_text);
    auto const long_subject = header(split_mail(long_text), "Subject");
    CHECK(long_subject.find("\r\n ") != std::string::npos);  // folded
    CHECK(decode_words(long_subject) == mail.subject);
  }
  SUBCASE("an ASCII subject that looks like an encoded word is encoded too, so it reads as written") {
    mail.subject = "Vraag over =?UTF-8?B?SGFjaw==?= in mijn brief";
    auto const odd = header(split_mail(composed(mail)), "Subject");
    CHECK(decode_words(odd) == mail.subject);
  }
}

TEST_CASE("compose_mail: header lines holding an encoded word are at most 76 characters (RFC 2047 2)") {
  // 45 octets of UTF-8: one encoded word of 72 characters, after "Subject: ".
  auto mail = staff_reply();
  mail.subject = "Uw aanvraag parkeervergunning – één vraag";
  REQUIRE(mail.subject.size() == 45);
  for (auto const& line : header_lines(composed(mail))) {
    CAPTURE(line);
    if (line.find("=?") != std::string::npos) CHECK(line.size() <= 76);
  }
}

TEST_CASE("compose_mail: a long ASCII subject is folded so no line passes 998 octets (RFC 5322 2.1.1)") {
  // Resident subjects come back as "Re: ..." and have no length limit of their own.
  auto mail = staff_reply();
  mail.subject = "Re:";
  while (mail.subject.size() < 1200) mail.subject += " parkeervergunning";
  auto const text = composed(mail);
  check_lines(text);
  CHECK(unfold(header(split_mail(text), "Subject")) == mail.subject);
}

TEST_CASE("compose_mail: display names are quoted with quotes and backslashes escaped, or encoded when not ASCII") {
  auto mail = staff_reply();
  mail.to_name = "Jan \"Jantje\" de Vries";
  CHECK(header(split_mail(composed(mail)), "To") == R"("Jan \"Jantje\" de Vries" <j.devries@burger.test>)");
  mail.to_name = R"(C:\Gemeente)";
  CHECK(header(split_mail(composed(mail)), "To") == R"("C:\\Gemeente" <j.devries@burger.test>)");
  mail.to_name = "Zoë de Vries";
  auto const to = header(split_mail(composed(mail)), "To");
  auto const angle = to.rfind(" <");
  REQUIRE(angle != std::string::npos);
  CHECK(to.substr(angle) == " <j.devries@burger.test>");
  CHECK(decode_words(to.substr(0, angle)) == "Zoë de Vries");
}

TEST_CASE("compose_mail: CR, LF or NUL in any header field refuses the whole mail as header-injection") {
  using field = std::string outbound_mail::*;
  struct named_field {
    char const* name;
    field member;
  };
  for (auto const& f :
       {named_field{"subject", &outbound_mail::subject}, named_field{"to_address", &outbound_mail::to_address},
        named_field{"to_name", &outbound_mail::to_name}, named_field{"reply_to", &outbound_mail::reply_to},
        named_field{"message_id", &outbound_mail::message_id}, named_field{"in_reply_to", &outbound_mail::in_reply_to},
        named_field{"from_name", &outbound_mail::from_name}, named_field{"from_address", &outbound_mail::from_address},
        named_field{"language", &outbound_mail::language}, named_field{"boundary", &outbound_mail::boundary}}) {
    auto const name = f.name;  // clang 14 cannot capture a structured binding
    auto const member = f.member;
    for (auto const& bad : {std::string("\r\nBcc: stiekem@burger.test"), std::string("\nBcc: stiekem@burger.test"),
                            std::string("\rBcc: stiekem@burger.test"), std::string(1, '\0') + "Bcc: stiekem@burger.test"}) {
      CAPTURE(name);
      CAPTURE(bad.size());
      auto mail = staff_reply();
      mail.*member += bad;
      auto const r = compose_mail(mail);
      REQUIRE(!r.has_value());
      CHECK(r.error().type == "header-injection");
    }
  }
  for (auto const& bad : {std::string("\r\n"), std::string("\n"), std::string("\r"), std::string(1, '\0')}) {
    CAPTURE(bad.size());
    auto mail = staff_reply();
    mail.references[0] += bad + "Bcc: stiekem@burger.test";
    auto const r = compose_mail(mail);
    REQUIRE(!r.has_value());
    CHECK(r.error().type == "header-injection");
  }
}

TEST_CASE("compose_mail: invalid addresses are refused as invalid-address; a missing Message-ID or boundary as incomplete-mail") {
  for (auto const* to : {"", "geen-apenstaart", "j.devries@burger.test, stiekem@burger.test", "<j.devries@burger.test>", "a@localhost"}) {
    CAPTURE(to);
    auto mail = staff_reply();
    mail.to_address = to;
    auto const r = compose_mail(mail);
    REQUIRE(!r.has_value());
    CHECK(r.error().type == "invalid-address");
  }
  auto bad_reply_to = staff_reply();
  bad_reply_to.reply_to = "info+Z-2026-42@";
  REQUIRE(!compose_mail(bad_reply_to).has_value());
  CHECK(compose_mail(bad_reply_to).error().type == "invalid-address");
  auto bad_from = staff_reply();
  bad_from.from_address = "gemeente";
  REQUIRE(!compose_mail(bad_from).has_value());
  CHECK(compose_mail(bad_from).error().type == "invalid-address");

  auto no_id = staff_reply();
  no_id.message_id.clear();
  REQUIRE(!compose_mail(no_id).has_value());
  CHECK(compose_mail(no_id).error().type == "incomplete-mail");
  auto no_boundary = staff_reply();
  no_boundary.boundary.clear();
  REQUIRE(!compose_mail(no_boundary).has_value());
  CHECK(compose_mail(no_boundary).error().type == "incomplete-mail");
}

TEST_CASE("compose_mail: a 5,000-character line of text leaves no line over 998 octets, and decodes back whole") {
  auto mail = staff_reply();
  mail.text.clear();
  for (int i = 0; i < 5000; ++i) mail.text += i % 7 == 0 ? "é" : "a";
  auto const text = composed(mail);
  check_lines(text);
  auto const parts = parts_of(split_mail(text).body, mail.boundary);
  REQUIRE(parts.size() == 2);
  check_qp_form(parts[0].content);
  check_qp_form(parts[1].content);
  CHECK(qp_decode(parts[0].content) == mail.text);
}

TEST_CASE("quoted-printable: '=' and octets above 127 become =XX in upper-case hex; line ends become CRLF") {
  CHECK(quoted_printable("=") == "=3D");
  CHECK(quoted_printable("é") == "=C3=A9");
  CHECK(quoted_printable("a=b") == "a=3Db");
  CHECK(quoted_printable("Hallo, burger!") == "Hallo, burger!");
  CHECK(quoted_printable("\x01") == "=01");
  CHECK(quoted_printable("a\nb") == "a\r\nb");
  CHECK(quoted_printable("a\r\nb") == "a\r\nb");
  CHECK(quoted_printable("").empty());
}

TEST_CASE("quoted-printable: lines of at most 76, no trailing white space, and decoding gives the text back") {
  std::string many_e_acute;
  for (int i = 0; i < 200; ++i) many_e_acute += "é";
  std::string equals;
  for (int i = 0; i < 30; ++i) equals += "= = =\n";
  for (auto const& text : {std::string(75, 'a'), std::string(76, 'a'), std::string(500, 'x'), many_e_acute, equals,
                           std::string("regel met spaties   \nvolgende\t\nlaatste"),
                           std::string("From the desk of the gemeente\nFrom here on\n>From quoted\n"),
                           std::string("Beste burger,\n\nUw aanvraag is ontvangen.\n\n.\n..\nGroet"),
                           std::string("eindigt op een spatie "), std::string("eindigt op een tab\t"),
                           std::string(74, 'a') + " \nvolgende", std::string(73, 'a') + "é\n" + std::string(80, 'b') + "  \n"}) {
    CAPTURE(text);
    auto const encoded = quoted_printable(text);
    check_qp_form(encoded);
    CHECK(qp_decode(encoded) == with_crlf(text));
  }
}

TEST_CASE("quoted-printable: a space ending the input at column 75 is encoded within the 76-character limit") {
  auto const text = std::string(74, 'a') + " ";
  auto const encoded = quoted_printable(text);
  check_qp_form(encoded);
  CHECK(qp_decode(encoded) == text);
}

TEST_CASE("text_to_html: lang, an escaped title, paragraphs on blank lines, lists, links") {
  auto const html = text_to_html(
      "Beste burger,\n\nUw aanvraag is ontvangen.\nWe nemen contact op.\n\nNeem mee:\n- paspoort\n- pasfoto\nTot dan.\n\nKijk op https://www.gemeente.test/parkeren.",
      "nl", "Re: <b>vraag</b> & meer");
  CHECK(html.find("<html lang=\"nl\">") != std::string::npos);
  CHECK(html.find("<title>Re: &lt;b&gt;vraag&lt;/b&gt; &amp; meer</title>") != std::string::npos);

  CHECK(html.find("<p>Beste burger,</p>") != std::string::npos);
  // Two lines without a blank line between them stay in one paragraph.
  auto const second = html.find("<p>Uw aanvraag is ontvangen.");
  REQUIRE(second != std::string::npos);
  auto const second_end = html.find("</p>", second);
  auto const contact = html.find("We nemen contact op.", second);
  REQUIRE(contact != std::string::npos);
  CHECK(contact < second_end);

  auto const list = html.find("<ul>");
  REQUIRE(list != std::string::npos);
  auto const list_end = html.find("</ul>", list);
  REQUIRE(list_end != std::string::npos);
  auto const first_item = html.find("<li>paspoort</li>", list);
  auto const second_item = html.find("<li>pasfoto</li>", list);
  CHECK(first_item < list_end);
  CHECK(second_item < list_end);
  CHECK(first_item < second_item);
  // The list is not inside the paragraph that introduces it.
  auto const intro = html.find("<p>Neem mee:");
  REQUIRE(intro != std::string::npos);
  CHECK(html.find("</p>", intro) < list);
  CHECK(html.find("Tot dan.") > list_end);

  CHECK(html.find("<a href=\"https://www.gemeente.test/parkeren\">https://www.gemeente.test/parkeren</a>.") != std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
}

TEST_CASE("text_to_html: a link keeps its query escaped; javascript: is not a link") {
  auto const html = text_to_html("Zie https://www.gemeente.test/parkeren?zone=3&type=bewoner\njavascript:alert(1)", "nl", "t");
  auto const href = std::string("https://www.gemeente.test/parkeren?zone=3&amp;type=bewoner");
  CHECK(html.find("<a href=\"" + href + "\">" + href + "</a>") != std::string::npos);
  CHECK(html.find("href=\"javascript") == std::string::npos);
}

TEST_CASE("text_to_html: markup in staff text, the title or a link is escaped: no script, no img, no broken-out attribute") {
  auto const html = text_to_html(
      "<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n- <SCRIPT>x</SCRIPT>\nhttps://www.gemeente.test/\"><script>alert(1)</script>",
      "nl\"><script>", "<script>titel</script>");
  auto const lower = ascii_lower(html);
  CHECK(lower.find("<script") == std::string::npos);
  CHECK(lower.find("<img") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("\"><") == std::string::npos);
}

TEST_CASE("text_to_html: CRLF text gives the same HTML as LF text") {
  CHECK(text_to_html("a\r\n\r\nb\r\n- c", "nl", "t") == text_to_html("a\n\nb\n- c", "nl", "t"));
}

} // namespace
} // namespace balie::email
