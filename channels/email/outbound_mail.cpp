#include "channels/email/outbound_mail.hpp"

#include "channels/addresses.hpp"
#include "channels/text.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <ctime>
#include <regex>

namespace balie::email {
namespace {

/// References beyond this many only make the header long (RFC 5322 §3.6.4 allows trimming).
constexpr std::size_t max_references = 10;
/// RFC 5322 lines end at 998 octets; a Message-ID is far shorter in practice.
constexpr std::size_t max_id_length = 900;
/// Longer staff lines get no links made in the HTML version (a bound for std::regex).
constexpr std::size_t max_linkified_line = 2000;

bool injects(std::string_view v) { return v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

bool is_ascii(std::string_view v) {
  for (char c : v)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

/// Unstructured text after a header name of `prefix` octets (Subject): plain
/// when ASCII and short, else RFC 2047 B words of whole UTF-8 characters,
/// one per line, so no line exceeds 78 octets (a word of 36 octets is 60).
std::string header_text(std::string_view v, std::size_t prefix) {
  if (is_ascii(v) && v.find("=?") == std::string_view::npos) {
    // Plain text folds at spaces (unfolding restores it); a word too long for a line is encoded instead.
    std::string out;
    std::size_t line = prefix, pos = 0;
    bool fits = true;
    while (pos <= v.size() && fits) {
      auto const space = std::min(v.find(' ', pos), v.size());
      auto const word = v.substr(pos, space - pos);
      if (word.size() + 1 > 78 - 1) fits = false;
      else if (pos > 0 && line + 1 + word.size() > 78) out += "\r\n " + std::string(word), line = 1 + word.size();
      else out += (pos > 0 ? " " : "") + std::string(word), line += (pos > 0 ? 1 : 0) + word.size();
      pos = space + 1;
    }
    if (fits) return out;
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < v.size()) {
    std::size_t end = std::min(v.size(), pos + 36);
    // Back to a character start, but always at least one byte on (invalid UTF-8 must not stall).
    while (end < v.size() && end > pos + 1 && (static_cast<unsigned char>(v[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(v.substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

/// A display name: a quoted-string when ASCII, else an encoded word.
std::string display_name(std::string_view name) {
  if (name.empty()) return {};
  if (!is_ascii(name)) return header_text(name, 78);
  std::string q = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::string mailbox(std::string_view name, std::string_view address) {
  auto const n = display_name(name);
  return n.empty() ? "<" + std::string(address) + ">" : n + " <" + std::string(address) + ">";
}

std::string rfc5322_date(timestamp t) {
  auto const secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::time_t const tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::array<char, 64> buf{};
  std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf.data();
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

/// Escapes a line and turns http(s) URLs into links whose text is the URL.
std::string html_line(std::string const& line) {
  static std::regex const url(R"(https?://[^\s<>"]+[^\s<>".,;:!?)])");
  // std::regex recurses per character: a line this long is escaped without looking for links.
  if (line.size() > max_linkified_line) return html_escape(line);
  std::string out;
  std::size_t last = 0;
  for (std::sregex_iterator it(line.begin(), line.end(), url), end; it != end; ++it) {
    out += html_escape(std::string_view(line).substr(last, static_cast<std::size_t>(it->position()) - last));
    auto const href = html_escape(it->str());
    out += "<a href=\"" + href + "\">" + href + "</a>";
    last = static_cast<std::size_t>(it->position() + it->length());
  }
  return out + html_escape(std::string_view(line).substr(last));
}

} // namespace

std::string quoted_printable(std::string_view in) {
  static constexpr char const* hex = "0123456789ABCDEF";
  std::string out;
  std::size_t line = 0;
  auto const put = [&](std::string_view token) {
    if (line + token.size() > 75) {
      out += "=\r\n";
      line = 0;
    }
    out += token;
    line += token.size();
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto const c = static_cast<unsigned char>(in[i]);
    if (c == '\n') {
      // Trailing white space before a line end must be encoded.
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        char const last = out.back();
        out.pop_back();
        --line;
        put(std::string("=") + hex[static_cast<unsigned char>(last) >> 4] + hex[static_cast<unsigned char>(last) & 15]);
      }
      out += "\r\n";
      line = 0;
    } else if (c == '\r') {
      continue;
    } else if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      put(std::string(1, static_cast<char>(c)));
    } else {
      put(std::string("=") + hex[c >> 4] + hex[c & 15]);
    }
  }
  if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    char const last = out.back();
    out.pop_back();
    --line;
    put(std::string("=") + hex[static_cast<unsigned char>(last) >> 4] + hex[static_cast<unsigned char>(last) & 15]);
  }
  return out;
}

std::string text_to_html(std::string_view text, std::string_view language, std::string_view title) {
  std::string body;
  std::vector<std::string> lines;
  std::string current;
  for (char c : text) {
    if (c == '\n') lines.push_back(std::move(current)), current.clear();
    else if (c != '\r') current += c;
  }
  lines.push_back(std::move(current));
  bool in_list = false, in_paragraph = false;
  auto const close = [&] {
    if (in_list) body += "</ul>\n";
    if (in_paragraph) body += "</p>\n";
    in_list = in_paragraph = false;
  };
  for (auto const& raw : lines) {
    auto const line = std::string(trim(raw));
    if (line.empty()) {
      close();
    } else if (line.rfind("- ", 0) == 0 || line.rfind("* ", 0) == 0) {
      if (in_paragraph) close();
      if (!in_list) body += "<ul>\n", in_list = true;
      body += "<li>" + html_line(line.substr(2)) + "</li>\n";
    } else {
      if (in_list) close();
      body += in_paragraph ? "<br>\n" : "<p>";
      in_paragraph = true;
      body += html_line(line);
    }
  }
  close();
  return "<!DOCTYPE html>\n<html lang=\"" + html_escape(language) + "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(title) +
         "</title>\n</head>\n<body>\n" + body + "</body>\n</html>\n";
}

std::string random_boundary() { return "=_balie_" + random_text(12, "0123456789abcdef"); }

outcome<std::string> compose_mail(outbound_mail const& m) {
  for (auto const* v : {&m.from_address, &m.from_name, &m.to_address, &m.to_name, &m.reply_to, &m.subject, &m.message_id,
                        &m.in_reply_to, &m.language, &m.boundary})
    if (injects(*v)) return reject(422, "header-injection", "A header value contains a line break.");
  for (auto const& r : m.references)
    if (injects(r)) return reject(422, "header-injection", "A header value contains a line break.");
  if (!is_valid_email_address(m.to_address)) return reject(422, "invalid-address", "The recipient address is not valid.");
  if (!is_valid_email_address(m.from_address)) return reject(422, "invalid-address", "The sender address is not valid.");
  if (!m.reply_to.empty() && !is_valid_email_address(m.reply_to)) return reject(422, "invalid-address", "The reply address is not valid.");
  if (m.message_id.empty() || m.boundary.empty()) return reject(422, "incomplete-mail", "A Message-ID and a boundary are required.");

  std::string h;
  h += "Date: " + rfc5322_date(m.date) + "\r\n";
  h += "From: " + mailbox(m.from_name, m.from_address) + "\r\n";
  h += "To: " + mailbox(m.to_name, m.to_address) + "\r\n";
  if (!m.reply_to.empty()) h += "Reply-To: " + mailbox(m.from_name, m.reply_to) + "\r\n";
  h += "Subject: " + header_text(m.subject, 9) + "\r\n";
  h += "Message-ID: <" + m.message_id + ">\r\n";
  // Ids come from residents' mail; one too long to fit a line is left out rather than break the header.
  auto const fits = [](std::string const& id) { return id.size() <= max_id_length; };
  if (!m.in_reply_to.empty() && fits(m.in_reply_to)) h += "In-Reply-To: <" + m.in_reply_to + ">\r\n";
  std::vector<std::string> references;
  std::copy_if(m.references.begin(), m.references.end(), std::back_inserter(references), fits);
  if (!references.empty()) {
    h += "References:";
    auto const first = references.size() > max_references ? references.size() - max_references : 0;
    for (auto i = first; i < references.size(); ++i) h += "\r\n <" + references[i] + ">";
    h += "\r\n";
  }
  if (m.automatic) h += "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n";
  else h += "Auto-Submitted: no\r\n";
  h += "Content-Language: " + m.language + "\r\n";
  h += "MIME-Version: 1.0\r\n";
  h += "Content-Type: multipart/alternative; boundary=\"" + m.boundary + "\"\r\n\r\n";

  std::string b;
  b += "--" + m.boundary + "\r\n";
  b += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  b += quoted_printable(m.text) + "\r\n";
  b += "--" + m.boundary + "\r\n";
  b += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  b += quoted_printable(text_to_html(m.text, m.language, m.subject)) + "\r\n";
  b += "--" + m.boundary + "--\r\n";
  return h + b;
}

} // namespace balie::email
