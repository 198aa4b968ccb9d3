#include "channels/email/mail_intake.hpp"

#include "channels/bsn.hpp"
#include "channels/ids.hpp"
#include "channels/email/charset.hpp"
#include "channels/text.hpp"

#include <algorithm>
#include <regex>

namespace balie::email {
namespace {

/// Longer text stays in the original mail (an attachment); staff read the start.
constexpr std::size_t max_text_bytes = 100 * 1024;
/// References beyond this many add nothing to threading but work.
constexpr std::size_t max_thread_ids = 20;

std::optional<outbound_ref> ids_pair(std::string_view s, std::string_view separator) {
  auto const sep = s.find(separator);
  if (sep == std::string_view::npos) return std::nullopt;
  outbound_ref r{std::string(s.substr(0, sep)), std::string(s.substr(sep + separator.size()))};
  if (!is_ulid(r.case_id) || !is_ulid(r.message_id)) return std::nullopt;
  return r;
}

std::string domain_of(std::string_view address) {
  auto const at = address.rfind('@');
  return at == std::string_view::npos ? std::string{} : ascii_lower(address.substr(at + 1));
}

/// Valid UTF-8 in NFC, whatever a header or a broken part held: invalid
/// bytes become U+FFFD (the JSON writer and every reader need valid UTF-8).
std::string clean(std::string_view s) {
  if (is_valid_utf8(s)) return to_nfc(s);
  std::vector<std::string> ignored;
  return to_nfc(decode_text(s, "utf-8", ignored));
}

/// A header value for one line of display: control characters (an encoded
/// CR LF in a name, say) become spaces, so they can never reach a header Balie writes.
std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }, ' ');
  return std::string(trim(s));
}

/// Cuts at a character boundary of valid UTF-8.
std::string utf8_prefix(std::string const& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

} // namespace

std::string outbound_message_id(std::string_view case_id, std::string_view message_id, std::string_view domain) {
  return "case-" + std::string(case_id) + ".reply-" + std::string(message_id) + "@" + std::string(domain);
}

std::string verp_sender(std::string_view case_id, std::string_view message_id, mail_identity const& id) {
  return id.bounce_local_part + "+" + std::string(case_id) + "." + std::string(message_id) + "@" + id.domain;
}

std::string reply_address(std::string_view token, mail_identity const& id) {
  auto const own = id.own_addresses.empty() ? "info@" + id.domain : id.own_addresses.front();
  auto const at = own.rfind('@');
  return own.substr(0, at) + "+" + std::string(token) + own.substr(at);
}

bool is_own_address(std::string_view address, mail_identity const& id) {
  auto const a = ascii_lower(address);
  return domain_of(a) == ascii_lower(id.domain) || std::find(id.own_addresses.begin(), id.own_addresses.end(), a) != id.own_addresses.end();
}

std::string address_detail(std::string_view address, mail_identity const& id) {
  if (domain_of(address) != ascii_lower(id.domain)) return {};
  auto const local = address.substr(0, address.rfind('@'));
  auto const plus = local.find('+');
  return plus == std::string_view::npos ? std::string{} : ascii_lower(local.substr(plus + 1));
}

std::optional<outbound_ref> outbound_ref_from_message_id(std::string_view message_id, mail_identity const& id) {
  auto const suffix = "@" + ascii_lower(id.domain);
  auto const lower = ascii_lower(message_id);
  if (lower.size() <= suffix.size() || lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) != 0) return std::nullopt;
  auto local = message_id.substr(0, message_id.size() - suffix.size());
  if (local.substr(0, 5) != "case-") return std::nullopt;
  return ids_pair(local.substr(5), ".reply-");
}

std::optional<outbound_ref> outbound_ref_from_verp(std::string_view address, mail_identity const& id) {
  if (domain_of(address) != ascii_lower(id.domain)) return std::nullopt;
  auto const local = address.substr(0, address.rfind('@'));
  auto const prefix = id.bounce_local_part + "+";
  if (local.substr(0, prefix.size()) != prefix) return std::nullopt;
  // The detail was lower-cased by nobody; ULIDs are upper case, accept either.
  std::string ids(local.substr(prefix.size()));
  std::transform(ids.begin(), ids.end(), ids.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return ids_pair(ids, ".");
}

prepared_mail prepare_mail(parsed_mail const& mail, mail_envelope const& envelope, mail_identity const& identity,
                           std::vector<attachment> files, std::string provider, std::string message_id, std::string case_id,
                           std::string reference, timestamp now) {
  prepared_mail p;
  auto& m = p.message;
  m.id = std::move(message_id);
  m.case_id = std::move(case_id);
  m.reference = std::move(reference);
  m.direction = direction::inbound;
  m.channel = channel::email;
  m.provider = std::move(provider);
  m.provider_message_id = mail.message_id.empty() ? "sha256:" + mail.content_hash : clean(mail.message_id);
  m.received_at = now;
  m.occurred_at = mail.date.value_or(now);
  std::string sender;
  if (mail.from) {
    sender = ascii_lower(mail.from->address);
    if (auto name = one_line(clean(mail.from->name)); !name.empty()) m.resident.name = name;
    if (!sender.empty()) m.resident.addresses.push_back({"email", clean(mail.from->address)});
  }
  if (auto subject = one_line(clean(mail.subject)); !subject.empty()) m.subject = subject;
  m.text = clean(utf8_prefix(mail.text, max_text_bytes));
  m.parse_warnings = mail.warnings;
  if (mail.text.size() > max_text_bytes) m.parse_warnings.emplace_back("text-truncated");
  m.attachments = std::move(files);
  for (auto& a : m.attachments) a.filename = one_line(clean(a.filename)), a.content_type = clean(a.content_type);
  m.auto_generated = mail.auto_generated;
  m.classification.possible_bsn = contains_possible_bsn(m.text) || contains_possible_bsn(m.subject.value_or(""));
  m.classification.confidential = m.classification.possible_bsn;

  // The same mail by LMTP and by IMAP, or delivered twice: one message.
  p.dedup_key = "email:" + sha256_hex(m.provider_message_id + "\n" + mail.content_hash + "\n" + sender);

  auto& t = p.thread;
  t.participant = sender;
  for (auto const& r : envelope.recipients)
    if (auto const token = address_detail(r, identity); !token.empty()) t.reply_tokens.push_back(token);
  for (auto const* list : {&mail.to, &mail.cc})
    for (auto const& a : *list)
      if (auto const token = address_detail(a.address, identity); !token.empty()) t.reply_tokens.push_back(token);
  if (!mail.in_reply_to.empty()) t.message_ids.push_back(mail.in_reply_to);
  for (auto it = mail.references.rbegin(); it != mail.references.rend() && t.message_ids.size() < max_thread_ids; ++it)
    if (std::find(t.message_ids.begin(), t.message_ids.end(), *it) == t.message_ids.end()) t.message_ids.push_back(*it);
  static std::regex const reference_pattern(R"(\bBL-[0-9A-HJKMNP-TV-Z]{6}\b)");
  auto const subject = mail.subject.substr(0, 1000);
  for (std::sregex_iterator it(subject.begin(), subject.end(), reference_pattern), end; it != end; ++it) t.references.push_back(it->str());
  if (!mail.message_id.empty()) t.own_ids.push_back(mail.message_id);

  bool const null_sender = envelope.sender && envelope.sender->empty();
  bool const from_machine = null_sender || sender.empty() || is_own_address(sender, identity);
  p.may_acknowledge = !mail.suppress_auto_reply && !from_machine;
  if (mail.bounce) {
    for (auto const& r : envelope.recipients)
      if (!p.bounced) p.bounced = outbound_ref_from_verp(r, identity);
    if (!p.bounced && !mail.bounce->original_message_id.empty())
      p.bounced = outbound_ref_from_message_id(mail.bounce->original_message_id, identity);
    auto const& b = *mail.bounce;
    p.bounce_reason = "Niet afgeleverd (" + b.status + ")";
    if (!b.diagnostic.empty()) p.bounce_reason += ": " + utf8_prefix(b.diagnostic, 300);
  }
  return p;
}

} // namespace balie::email
