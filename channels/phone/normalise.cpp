// A phone call becomes one inbound case-message in a new case. `text` holds
// what the caller's side said (resident, interpreter or unknown speakers), one
// segment per line; the full conversation stays in `transcript.segments`.
// A relay service (KPN Teletolk) means the resident needs text relay; a
// callback request becomes the `callback` need. The 11-proef runs over every
// segment so that a spoken BSN marks the message confidential. All text is
// stored in Unicode NFC.
#include "channels/phone/normalise.hpp"

#include "channels/bsn.hpp"
#include "channels/text.hpp"

namespace balie::channels::phone {

case_message normalise(call_transcript const& t, normalise_context const& ctx) {
  case_message m;
  m.id = ctx.ids.ulid(ctx.now);
  m.case_id = ctx.ids.ulid(ctx.now);
  m.reference = ctx.ids.case_reference();
  m.direction = direction::inbound;
  m.channel = channel::phone;
  m.provider = ctx.provider;
  m.provider_message_id = t.call_id;
  m.received_at = ctx.now;
  m.occurred_at = t.started_at.value_or(ctx.now);
  if (t.caller_number) {
    m.resident.addresses.push_back({"phone", *t.caller_number});
    m.resident.identity_assurance = "channel";
  }
  m.resident.language = t.language;
  if (t.relay_service) m.resident.needs.push_back(resident_need::text_relay);
  if (t.callback_requested) m.resident.needs.push_back(resident_need::callback);
  m.subject = "Telefoongesprek";

  transcript_info info;
  info.automatic = t.automatic;
  info.engine = t.engine;
  info.relay_service = t.relay_service;
  info.segments = t.segments;
  bool bsn = false;
  for (auto& s : info.segments) {
    s.text = to_nfc(s.text);
    bsn = bsn || contains_possible_bsn(s.text);
    if (s.speaker == speaker::staff || s.speaker == speaker::ivr || s.text.empty()) continue;
    if (!m.text.empty()) m.text += '\n';
    m.text += s.text;
  }
  m.transcript = std::move(info);
  m.classification.possible_bsn = bsn;
  m.classification.confidential = bsn;
  return m;
}

std::string dedup_key(call_transcript const& t) { return "phone:" + t.call_id; }

} // namespace balie::channels::phone
