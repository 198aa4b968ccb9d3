#pragma once
// One case-message as an Open Klant contact moment (sans-io): the body of
// `POST /maak-klantcontact` (klantcontact, betrokkene, onderwerpobject), the
// digitaal adres the resident gave, and the bijlagen. The mapping follows
// ARCHITECTURE.md's case-message table:
//   kanaal            the configured label of the channel (messenger: of its platform)
//   onderwerp ≤ 200   the message's subject, else the case's, else its first line
//   inhoud ≤ 1000     the text; a longer one is cut and the full text becomes a bijlage
//   referentienummer  the case reference; plaatsgevondenOp: occurred_at; taal: the resident's
//   vertrouwelijk     the case or the message is confidential, or names a possible BSN
//   betrokkene        the resident, rol `klant`, initiator when the resident wrote
//   onderwerpobject   the Balie case; wasKlantcontact: the contact a reply answers
// Limits count characters (code points), as Open Klant does. Automatic
// messages (acknowledgements, notices) are Balie's receipts, no contact moment.
// Bijlagen identify what Balie holds (a file by its SHA-256, a full text by
// the message id) in the configured register.

#include "channels/time_format.hpp"
#include "openklant/settings.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace balie::openklant {

/// What the case adds to each of its messages.
struct case_facts {
  std::string case_id;
  std::string reference;
  std::string subject;
  bool confidential = false;
};

struct contact_moment {
  std::string message_id;
  std::string kanaal;
  timestamp occurred;   ///< plaatsgevondenOp: how an earlier hand-over of it is recognised
  nlohmann::json request;                  ///< POST /maak-klantcontact
  std::optional<nlohmann::json> address;   ///< POST /digitaleadressen, without verstrektDoorBetrokkene
  std::vector<nlohmann::json> attachments; ///< bijlageidentificator of each POST /bijlagen
};

/// `message` is a stored case-message; `delivery` its delivery JSON (outbound; may be null);
/// `answers` the klantcontact uuid of the message it replies to, when that was handed over.
/// Nothing for an automatic message or one that cannot be read.
std::optional<contact_moment> contact_moment_for(nlohmann::json const& message, case_facts const&, nlohmann::json const& delivery,
                                                 std::string const& answers, openklant_config const&);

/// At most `max` characters (code points): longer text keeps `max - 3` and ends in "...".
std::string cut(std::string_view utf8, std::size_t max);
/// A phone number as Open Klant takes it (`^(0[1-9][0-9]{8}|\+[0-9]{9,15}|00[0-9]{7,13})$`,
/// no 0800, 0900, 1400 or 140xx); empty when it cannot be one.
std::string openklant_phone(std::string_view);

} // namespace balie::openklant
