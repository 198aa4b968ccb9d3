#pragma once
// The case-message (`balie.case-message/1`): the one format every channel
// produces and every consumer reads. Field meanings and the Klantinteracties
// mapping are in ARCHITECTURE.md and config/case-message-1.schema.json.

#include "channels/rejection.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace balie {

using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

enum class direction { inbound, outbound };
enum class channel { email, sms, webchat, phone, messenger };
enum class priority { low, normal, high, urgent };
enum class resident_need { screen_reader, plain_language, large_text, sign_language, text_relay, interpreter, callback };
/// `unknown` extends the architecture's list: a transcript without reliable
/// diarisation says "speaker unknown" instead of guessing.
enum class speaker { resident, staff, ivr, interpreter, unknown };

std::string_view to_string(direction);
std::string_view to_string(channel);
/// Every channel, in the schema's order: the one list code walks instead of spelling names out.
inline constexpr channel all_channels[] = {channel::email, channel::sms, channel::webchat, channel::phone, channel::messenger};
/// "email, sms, webchat, phone, messenger", for messages that name the allowed values.
std::string channel_names_list();
std::string_view to_string(priority);
std::string_view to_string(resident_need);
std::string_view to_string(speaker);
std::optional<direction> direction_from(std::string_view);
std::optional<channel> channel_from(std::string_view);
std::optional<priority> priority_from(std::string_view);
std::optional<resident_need> resident_need_from(std::string_view);
std::optional<speaker> speaker_from(std::string_view);

struct digital_address {
  std::string kind;  ///< email, phone, webchat, matrix, whatsapp
  std::string value;
  bool operator==(digital_address const&) const = default;
};

struct resident_info {
  std::optional<std::string> name;
  std::vector<digital_address> addresses;
  std::string language = "nld";            ///< ISO 639-3
  std::string identity_assurance = "none"; ///< none, channel, verified
  std::vector<resident_need> needs;
  bool operator==(resident_info const&) const = default;
};

struct attachment {
  std::string filename;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;
  std::string ref;
  bool operator==(attachment const&) const = default;
};

struct transcript_segment {
  balie::speaker speaker = speaker::unknown;
  std::optional<std::string> speaker_label; ///< the label the source used, if any
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::string text;
  std::optional<double> confidence;         ///< 0..1; absent when the source has none
  bool operator==(transcript_segment const&) const = default;
};

struct transcript_info {
  std::vector<transcript_segment> segments;
  bool automatic = false;                   ///< produced by speech recognition
  std::optional<std::string> engine;
  std::optional<std::string> relay_service; ///< e.g. kpn-teletolk
  bool operator==(transcript_info const&) const = default;
};

struct routing_info {
  std::string inbox;
  balie::priority priority = priority::normal;
  std::optional<std::string> topic;
  std::string rule;
  bool operator==(routing_info const&) const = default;
};

struct classification_info {
  bool confidential = false;
  bool possible_bsn = false;
  std::string retention = "P1Y"; ///< Selectielijst: plain information request
  bool operator==(classification_info const&) const = default;
};

struct delivery_info {
  std::string status = "queued"; ///< queued, held (the channel is switched off), sent, delivered, read (a messenger), failed, expired
  int attempts = 0;
  std::optional<std::string> last_error;
  timestamp updated_at{};
  bool operator==(delivery_info const&) const = default;
};

struct case_message {
  static constexpr std::string_view schema = "balie.case-message/1";

  std::string id;
  std::string case_id;
  std::string reference;
  balie::direction direction = direction::inbound;
  balie::channel channel = channel::phone;
  std::string provider;
  std::string provider_message_id;
  timestamp occurred_at{};
  timestamp received_at{};
  resident_info resident;
  std::optional<std::string> subject;
  std::string text;
  std::vector<attachment> attachments;
  std::optional<transcript_info> transcript;
  std::optional<routing_info> routing;
  classification_info classification;
  bool auto_generated = false;
  /// Came in while an admin had the channel switched off (and the channel took it
  /// anyway, as configured): the resident was sent the admin's notice.
  bool received_while_off = false;
  /// What the channel found odd in the source (e.g. an email's guessed
  /// charset); codes, never contents.
  std::vector<std::string> parse_warnings;
  std::optional<std::string> in_reply_to;
  /// The municipality's address the resident wrote to (mailbox, SMS number, chat page's origin); routing reads it.
  std::optional<std::string> addressed_to;
  std::optional<delivery_info> delivery;
  std::optional<std::string> traceparent;

  bool operator==(case_message const&) const = default;
};

/// The JSON form, as stored in Redis and served to staff.
nlohmann::json to_json(case_message const&);

/// Reads a case-message back; rejects anything the schema would reject.
outcome<case_message> case_message_from_json(nlohmann::json const&);

} // namespace balie
