#pragma once
// One resident's message as a messenger platform delivers it, read into one
// shape before it becomes a case-message: who (an E.164 number for WhatsApp,
// a Matrix ID), the platform's id of the message (the dedup key), and the
// text. An edit or a redaction names the message it changes; Balie records
// it as a message of its own and never rewrites what staff already saw.

#include "channels/time_format.hpp"

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <vector>

namespace balie::messenger {

enum class message_kind { message, edit, redaction };

struct inbound_message {
  message_kind kind = message_kind::message;
  std::string from;   ///< WhatsApp: E.164; Matrix: @user:server
  std::string name;   ///< the profile or display name, when the platform gives one
  std::string id;     ///< the platform's message id (wamid, event id)
  std::string room;   ///< Matrix: the room it was sent in
  std::string changes;  ///< edit, redaction: the platform id of the message it changes
  std::optional<timestamp> sent_at;
  std::string text;   ///< UTF-8, NFC; for media, its caption or file name
  std::string media_type;  ///< image, document, audio, video, file: a file was sent (fetched by the I/O side)
  std::string media_ref;   ///< where to fetch it: WhatsApp's media id, Matrix's mxc:// URI
  std::string media_mime;  ///< the type the platform declared (kept, never trusted)
  std::string filename;    ///< as the resident's app named it; may be empty
  std::string via;         ///< WhatsApp: the provider that carried it (cm, twilio); empty: Meta's own API
};

/// A platform's report on a message Balie sent.
struct outbound_status {
  std::string case_id;
  std::string message_id;
  std::string platform_id;  ///< when Balie's ids are not in the report (Matrix receipts name the event)
  std::string status;       ///< sent, delivered, read, failed
  std::string detail;       ///< the platform's error code, for staff
};

/// Which field was wrong and how; never the field's value.
struct messenger_refusal {
  std::string reason;
};

} // namespace balie::messenger
