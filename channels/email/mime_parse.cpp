// GMime parses in its loose modes with the fallback charsets UTF-8 then
// windows-1252 for raw 8-bit headers, and reports what it finds odd through
// its warning callback; Balie maps those onto its own closed list. The MIME
// tree is walked by Balie (not GMime's foreach) so depth and part count are
// bounded here. Body choice: the first inline text/plain; without one, the
// first inline text/html, converted. The other alternatives of the chosen
// body are not attachments; every other leaf is.
#include "channels/email/mime_parse.hpp"

#include "channels/email/charset.hpp"
#include "channels/email/html_text.hpp"
#include "channels/email/reply_text.hpp"
#include "channels/text.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <mutex>
#include <set>

namespace balie::email {
namespace {

template <class T>
struct g_unref {
  void operator()(T* p) const {
    if (p) g_object_unref(p);
  }
};
template <class T>
using g_ptr = std::unique_ptr<T, g_unref<T>>;

struct g_string_free {
  void operator()(char* p) const { g_free(p); }
};
using g_string = std::unique_ptr<char, g_string_free>;

std::string str(char const* s) { return s ? std::string(s) : std::string{}; }

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string_view warning_code(GMimeParserWarning w) {
  switch (w) {
  case GMIME_WARN_DUPLICATED_HEADER: return "duplicate-header";
  case GMIME_WARN_UNENCODED_8BIT_HEADER: return "unencoded-8bit-header";
  case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE: return "invalid-rfc2047";
  case GMIME_WARN_MALFORMED_MULTIPART:
  case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
  case GMIME_WARN_PART_WITHOUT_CONTENT:
  case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "malformed-multipart";
  case GMIME_WARN_TRUNCATED_MESSAGE: return "truncated-message";
  case GMIME_CRIT_NESTING_OVERFLOW: return "nesting-too-deep";
  default: return "malformed-header";
  }
}

struct warning_list {
  std::vector<std::string> codes;
  void add(std::string_view code) {
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.emplace_back(code);
  }
};

void on_warning(gint64, GMimeParserWarning code, gchar const*, gpointer user) {
  static_cast<warning_list*>(user)->add(warning_code(code));
}

struct options_free {
  void operator()(GMimeParserOptions* p) const { g_mime_parser_options_free(p); }
};

std::unique_ptr<GMimeParserOptions, options_free> parser_options(warning_list& warnings) {
  std::unique_ptr<GMimeParserOptions, options_free> o(g_mime_parser_options_new());
  g_mime_parser_options_set_rfc2047_compliance_mode(o.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(o.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(o.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_allow_addresses_without_domain(o.get(), TRUE);
  static char const* fallback[] = {"utf-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(o.get(), fallback);
  g_mime_parser_options_set_warning_callback(o.get(), on_warning, &warnings);
  return o;
}

std::vector<mail_address> addresses(InternetAddressList* list, int depth = 0) {
  std::vector<mail_address> out;
  if (!list || depth > 2) return out;
  for (int i = 0; i < internet_address_list_length(list); ++i) {
    auto* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      auto address = str(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
      // Domains are case-insensitive; the local part is the receiver's business and stays as written.
      if (auto const at = address.rfind('@'); at != std::string::npos) address = address.substr(0, at + 1) + ascii_lower(address.substr(at + 1));
      out.push_back({std::move(address), str(internet_address_get_name(a))});
    } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
      auto members = addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), depth + 1);
      out.insert(out.end(), members.begin(), members.end());
    }
  }
  return out;
}

std::string lower_type(GMimeObject* o) {
  auto* ct = g_mime_object_get_content_type(o);
  if (!ct) return "application/octet-stream";
  return ascii_lower(str(g_mime_content_type_get_media_type(ct)) + "/" + str(g_mime_content_type_get_media_subtype(ct)));
}

std::string decoded_content(GMimePart* part) {
  auto* wrapper = g_mime_part_get_content(part);
  if (!wrapper) return {};
  g_ptr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(wrapper, mem.get());
  auto* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return bytes ? std::string(reinterpret_cast<char const*>(bytes->data), bytes->len) : std::string{};
}

std::string serialised(GMimeObject* o) {
  g_ptr<GMimeStream> mem(g_mime_stream_mem_new());
  // Mail keeps CRLF line ends, as it arrived.
  auto* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  g_mime_object_write_to_stream(o, format, mem.get());
  g_mime_format_options_free(format);
  auto* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return bytes ? std::string(reinterpret_cast<char const*>(bytes->data), bytes->len) : std::string{};
}

std::string without_brackets(std::string_view id) {
  id = trim(id);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return std::string(id);
}

/// The first header of that name, value decoded (RFC 2047) and unfolded.
std::optional<std::string> first_header(GMimeObject* o, std::string_view name, GMimeParserOptions* options,
                                        std::vector<std::string>* warnings = nullptr) {
  auto* list = g_mime_object_get_header_list(o);
  for (int i = 0; list && i < g_mime_header_list_get_count(list); ++i) {
    auto* h = g_mime_header_list_get_header_at(list, i);
    if (ascii_lower(str(g_mime_header_get_name(h))) != ascii_lower(name)) continue;
    g_string unfolded(g_mime_utils_header_unfold(g_mime_header_get_raw_value(h)));
    std::vector<std::string> ignored;
    auto const relabelled = relabel_unknown_charsets(str(unfolded.get()), warnings ? *warnings : ignored);
    g_string decoded(g_mime_utils_header_decode_text(options, relabelled.c_str()));
    return std::string(trim(str(decoded.get())));
  }
  return std::nullopt;
}

std::size_t header_count(GMimeObject* o, std::string_view name) {
  auto* list = g_mime_object_get_header_list(o);
  std::size_t n = 0;
  for (int i = 0; list && i < g_mime_header_list_get_count(list); ++i)
    if (ascii_lower(str(g_mime_header_get_name(g_mime_header_list_get_header_at(list, i)))) == ascii_lower(name)) ++n;
  return n;
}

bool has_header(GMimeObject* o, std::string_view name) { return header_count(o, name) > 0; }

/// The Message-ID inside a block of header text (text/rfc822-headers).
std::string message_id_in_headers(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto const nl = text.find('\n', pos);
    auto const line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (ascii_lower(line.substr(0, 11)) == "message-id:") {
      auto value = std::string(trim(line.substr(11)));
      // A folded Message-ID continues on the next line.
      if (value.empty() && nl != std::string_view::npos) {
        auto const next_end = text.find('\n', nl + 1);
        value = std::string(trim(text.substr(nl + 1, next_end == std::string_view::npos ? std::string_view::npos : next_end - nl - 1)));
      }
      return without_brackets(value);
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return {};
}

class tree_walker {
public:
  tree_walker(parse_limits const& limits, warning_list& warnings) : limits_(limits), warnings_(warnings) {}

  void walk(GMimeObject* o, std::size_t depth) {
    if (!o) return;
    if (++parts_ > limits_.max_parts) {
      warnings_.add("too-many-parts");
      return;
    }
    if (depth > limits_.max_depth) {
      warnings_.add("nesting-too-deep");
      return;
    }
    auto const type = lower_type(o);
    if (GMIME_IS_MULTIPART(o)) {
      auto* mp = GMIME_MULTIPART(o);
      int const n = g_mime_multipart_get_count(mp);
      if (type == "multipart/alternative") return alternative(mp, n, depth);
      if (type == "multipart/report") report_ = true;
      for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i), depth + 1);
      return;
    }
    if (GMIME_IS_MESSAGE_PART(o)) {
      auto* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
      if (report_ && inner && returned_message_id_.empty()) returned_message_id_ = str(g_mime_message_get_message_id(inner));
      return attach(o, type, inner ? serialised(GMIME_OBJECT(inner)) : std::string{});
    }
    if (!GMIME_IS_PART(o)) return;
    auto* part = GMIME_PART(o);
    if (type == "message/delivery-status") {
      delivery_status_ = decoded_content(part);
      return attach(o, type, delivery_status_);
    }
    if (type == "text/rfc822-headers" && report_) {
      auto content = decoded_content(part);
      if (returned_message_id_.empty()) returned_message_id_ = message_id_in_headers(content);
      return attach(o, type, std::move(content));
    }
    bool const attachment = g_mime_part_is_attachment(part);
    bool const text = type == "text/plain" || type == "text/html";
    if (!attachment && text && other_alternatives_ > 0) return;
    if (!attachment && body_type_.empty() && (type == "text/plain" || type == "text/html")) {
      body_type_ = type;
      body_ = text_of(part);
      return;
    }
    attach(o, type, decoded_content(part));
  }

  std::string body_type_, body_, delivery_status_, returned_message_id_;
  std::vector<mail_part> attachments_;
  bool report_ = false;

private:
  /// The best alternative this reader can show: plain text, else HTML, else
  /// the first. The others carry the same words, so only their non-text
  /// parts (the images of an HTML version, a calendar invite) are kept.
  void alternative(GMimeMultipart* mp, int n, std::size_t depth) {
    GMimeObject* chosen = nullptr;
    for (auto const* want : {"text/plain", "text/html"})
      for (int i = 0; i < n && !chosen; ++i)
        if (auto* child = g_mime_multipart_get_part(mp, i); lower_type(child) == want) chosen = child;
    if (!chosen && n > 0) chosen = g_mime_multipart_get_part(mp, 0);
    walk(chosen, depth + 1);
    ++other_alternatives_;
    for (int i = 0; i < n; ++i)
      if (auto* child = g_mime_multipart_get_part(mp, i); child != chosen) walk(child, depth + 1);
    --other_alternatives_;
  }

  std::string text_of(GMimePart* part) {
    auto const charset = str(g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset"));
    return decode_text(decoded_content(part), charset, warnings_.codes);
  }

  void attach(GMimeObject* o, std::string const& type, std::string bytes) {
    if (attachments_.size() >= limits_.max_attachments) return warnings_.add("too-many-parts");
    if (bytes.size() > limits_.max_attachment_bytes) return warnings_.add("attachment-too-large");
    mail_part p;
    p.content_type = type;
    if (GMIME_IS_PART(o)) p.filename = str(g_mime_part_get_filename(GMIME_PART(o)));
    if (p.filename.empty()) p.filename = str(g_mime_object_get_content_disposition_parameter(o, "filename"));
    if (p.filename.empty()) p.filename = str(g_mime_object_get_content_type_parameter(o, "name"));
    p.content_id = str(g_mime_object_get_content_id(o));
    p.bytes = std::move(bytes);
    attachments_.push_back(std::move(p));
  }

  parse_limits const& limits_;
  warning_list& warnings_;
  std::size_t parts_ = 0;
  int other_alternatives_ = 0;
};

/// RFC 5322 §2.1.1: at most 998 octets per line, the CRLF not counted.
constexpr std::size_t max_line_octets = 998;

void scan_raw(std::string_view raw, warning_list& warnings) {
  if (raw.find('\0') != std::string_view::npos) warnings.add("nul-byte");
  std::size_t start = 0;
  while (start < raw.size()) {
    auto end = raw.find('\n', start);
    if (end == std::string_view::npos) end = raw.size();
    auto length = end - start;
    if (length > 0 && raw[end - 1] == '\r') --length;
    if (length > max_line_octets) return warnings.add("long-line");
    start = end + 1;
  }
}

std::string after_header_block(std::string_view raw) {
  auto a = raw.find("\r\n\r\n");
  auto b = raw.find("\n\n");
  if (a == std::string_view::npos && b == std::string_view::npos) return {};
  if (b == std::string_view::npos || (a != std::string_view::npos && a < b)) return std::string(raw.substr(a + 4));
  return std::string(raw.substr(b + 2));
}

bool starts_with_ci(std::string_view s, std::string_view p) { return ascii_lower(s.substr(0, p.size())) == ascii_lower(p); }

/// A subject that out-of-office assistants use.
bool is_auto_reply_subject(std::string_view s) {
  for (auto p : {"Automatisch antwoord:", "Automatisch antwoord -", "Afwezig:", "Out of Office:", "Automatic reply:",
                 "Auto-Reply:", "Autoreply:", "Abwesenheitsnotiz:"})
    if (starts_with_ci(s, p)) return true;
  return false;
}

void classify(GMimeObject* top, parsed_mail& mail, GMimeParserOptions* options) {
  auto const value = [&](char const* name) { return ascii_lower(first_header(top, name, options).value_or("")); };
  bool machine = false;
  if (auto const v = first_header(top, "Auto-Submitted", options); v && is_auto_submitted(*v)) machine = true;
  auto const precedence = value("Precedence") + value("X-Precedence");
  for (auto p : {"bulk", "junk", "list"})
    if (precedence.find(p) != std::string::npos) machine = true;
  for (auto h : {"List-Id", "List-Unsubscribe", "List-Post", "Mailing-List", "X-Autoreply", "X-Autorespond", "X-Autogenerated"})
    if (has_header(top, h)) machine = true;
  if (mail.from) {
    auto const local = ascii_lower(mail.from->address.substr(0, mail.from->address.find('@')));
    if (local == "mailer-daemon" || local == "postmaster") machine = true;
  }
  if (mail.bounce || is_auto_reply_subject(mail.subject)) machine = true;
  mail.auto_generated = machine;
  auto const suppress = value("X-Auto-Response-Suppress");
  bool const asked = suppress.find("all") != std::string::npos || suppress.find("autoreply") != std::string::npos ||
                     suppress.find("oof") != std::string::npos;
  mail.suppress_auto_reply = machine || asked;
}

} // namespace

bool is_auto_submitted(std::string_view value) {
  auto const v = ascii_lower(trim(value.substr(0, value.find(';'))));
  return !v.empty() && v != "no";
}

parsed_mail parse_mail(std::string_view raw, parse_limits const& limits) {
  init_gmime();
  parsed_mail mail;
  warning_list warnings;
  scan_raw(raw, warnings);
  mail.content_hash = sha256_hex(after_header_block(raw));

  auto options = parser_options(warnings);
  g_ptr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  g_ptr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  g_ptr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options.get()));
  if (!message) {
    // Not even a header block: the bytes are the text, so a person still reads them.
    warnings.add("malformed-header");
    std::vector<std::string> charset_warnings;
    mail.body = decode_text(raw, "", charset_warnings);
    for (auto const& w : charset_warnings) warnings.add(w);
    mail.text = own_words(mail.body);
    mail.warnings = std::move(warnings.codes);
    return mail;
  }
  auto* top = GMIME_OBJECT(message.get());

  if (auto from = addresses(g_mime_message_get_from(message.get())); !from.empty()) mail.from = from.front();
  if (header_count(top, "From") > 1 || header_count(top, "Subject") > 1) warnings.add("duplicate-header");
  if (auto reply_to = addresses(g_mime_message_get_reply_to(message.get())); !reply_to.empty()) mail.reply_to = reply_to.front();
  mail.to = addresses(g_mime_message_get_to(message.get()));
  mail.cc = addresses(g_mime_message_get_cc(message.get()));
  mail.subject = first_header(top, "Subject", options.get(), &warnings.codes).value_or("");
  mail.message_id = str(g_mime_message_get_message_id(message.get()));
  if (mail.message_id.empty()) warnings.add("missing-message-id");
  if (auto const v = g_mime_object_get_header(top, "In-Reply-To")) {
    if (auto* refs = g_mime_references_parse(options.get(), v)) {
      if (g_mime_references_length(refs) > 0) mail.in_reply_to = str(g_mime_references_get_message_id(refs, 0));
      g_mime_references_free(refs);
    }
  }
  if (auto const v = g_mime_object_get_header(top, "References")) {
    if (auto* refs = g_mime_references_parse(options.get(), v)) {
      for (int i = 0; i < g_mime_references_length(refs); ++i) mail.references.push_back(str(g_mime_references_get_message_id(refs, i)));
      g_mime_references_free(refs);
    }
  }
  if (auto* date = g_mime_message_get_date(message.get())) {
    mail.date = timestamp(std::chrono::milliseconds(g_date_time_to_unix(date) * 1000));
  } else if (has_header(top, "Date")) {
    warnings.add("invalid-date");
  }

  tree_walker walker(limits, warnings);
  walker.walk(g_mime_message_get_mime_part(message.get()), 0);
  auto* top_part = g_mime_message_get_mime_part(message.get());
  if (top_part && GMIME_IS_MULTIPART(top_part)) {
    bool const truncated = std::find(warnings.codes.begin(), warnings.codes.end(), "truncated-message") != warnings.codes.end();
    if (truncated) warnings.add("malformed-multipart");  // the closing boundary never came
    // A multipart without a boundary cannot be split: its content is read as text.
    if (walker.body_type_.empty() && !g_mime_object_get_content_type_parameter(top_part, "boundary")) {
      walker.body_type_ = "text/plain";
      walker.body_ = decode_text(after_header_block(raw), "", warnings.codes);
    }
  }
  mail.body = walker.body_type_ == "text/html" ? html_to_text(walker.body_) : walker.body_;
  // Control characters other than tab and line breaks have no place in what staff read.
  std::erase_if(mail.body, [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7F; });
  mail.text = own_words(mail.body);
  mail.attachments = std::move(walker.attachments_);
  if (walker.report_ && !walker.delivery_status_.empty()) {
    mail.bounce = parse_delivery_status(walker.delivery_status_);
    if (mail.bounce) mail.bounce->original_message_id = walker.returned_message_id_;
  } else if (mail.from) {
    // Exchange-style notices: a daemon sender and prose only.
    auto const local = ascii_lower(mail.from->address.substr(0, mail.from->address.find('@')));
    if (local == "mailer-daemon" || local == "postmaster") mail.bounce = guess_delivery_failure(mail.body);
  }
  classify(top, mail, options.get());
  for (auto const& w : warnings.codes)
    if (std::find(mail.warnings.begin(), mail.warnings.end(), w) == mail.warnings.end()) mail.warnings.push_back(w);
  return mail;
}

} // namespace balie::email
