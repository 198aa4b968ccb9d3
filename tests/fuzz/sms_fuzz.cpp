// libFuzzer target: any bytes as what a stranger posts to an SMS webhook:
// a form body, each provider's JSON, a Kannel body in either charset, each
// provider's delivery report, and a signature header for every scheme. Nothing may throw, crash or leak; an
// accepted message must be clean (sender in E.164, text valid UTF-8) and no
// signature made of fuzz may pass.
#include "channels/addresses.hpp"
#include "channels/ids.hpp"
#include "channels/sms/delivery_reports.hpp"
#include "channels/sms/inbound_sms.hpp"
#include "channels/sms/keywords.hpp"
#include "channels/sms/webhook_auth.hpp"
#include "channels/text.hpp"

#include <cstdint>
#include <cstdlib>

namespace {

void check(balie::sms::read_result const& r) {
  if (r && (!balie::is_e164(r->from) || !balie::is_valid_utf8(r->text) || r->message_id.empty())) std::abort();
  if (r) (void)balie::sms::keyword_of(r->text);
}

/// A report believed must name Balie's own ids and one of its statuses.
void check(balie::sms::report_result const& r) {
  if (!r) return;
  if (!balie::is_ulid(r->ref.case_id) || !balie::is_ulid(r->ref.message_id)) std::abort();
  if (!r->status.empty() && r->status != "sent" && r->status != "delivered" && r->status != "failed") std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie::sms;
  std::string_view const raw(reinterpret_cast<char const*>(data), size);
  auto const now = std::chrono::system_clock::time_point(std::chrono::seconds(1764320400));

  auto const form = parse_form(raw);
  if (form) {
    for (auto const& [name, value] : *form)
      if (!balie::is_valid_utf8(name) || !balie::is_valid_utf8(value)) std::abort();
    check(read_twilio(*form));
    check(read_messagebird(*form));
    check(read_kannel(*form, raw));
    if (verify_twilio(twilio_hash::sha1, "fuzz-key", "https://balie.gemeente.test/sms", *form, raw)) std::abort();
    check(read_kannel_report(*form));
    check(read_twilio_report(*form, *form));
    check(read_messagebird_report(*form));
  }
  check(read_cm_report(raw));
  check(read_bird_report(raw));
  check(read_bird(raw));
  check(read_cm(raw));
  check(read_kannel({{"from", "+31600000000"}, {"id", "1"}, {"charset", "UTF-16BE"}}, raw));
  if (verify_messagebird_jwt("fuzz-key", "https://balie.gemeente.test/sms", "", raw, now)) std::abort();
  if (verify_bird("fuzz-key", "https://balie.gemeente.test/sms", "", "1764320400", raw, now)) std::abort();
  return 0;
}
