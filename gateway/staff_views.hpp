#pragma once
// The JSON staff see: a case summary from the case hash, the full case view
// (messages with their delivery status, notes, reply options, transfer
// targets), and the addresses a reply may go to. Shared by the read path
// and the actions, which answer with the changed case. A confidential case
// is shown to staff without the right to read it as existing, never with
// what it says.

#include "channels/case_message.hpp"
#include "gateway/config.hpp"
#include "gateway/tokens.hpp"
#include "server/http_server.hpp"
#include "queue/case_store.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace balie::gateway {
using namespace server;

/// Longest conversation served or checked in one read.
inline constexpr std::size_t max_case_messages = 1000;

struct reply_option {
  balie::channel channel;
  std::string kind;  ///< the resident's address kind: email, phone, webchat, matrix, whatsapp
  std::string address;
  bool is_default = false;
};

/// A stored message read back through the typed case-message reader; nullopt
/// if it does not parse (never a throw, whatever the stored bytes hold).
std::optional<case_message> stored_case_message(queue::stored_message const&);

/// Where a reply to this case can go: every address the resident gave, on
/// the channel that sends to it, the channel they last wrote on first.
std::vector<reply_option> reply_options(std::vector<queue::stored_message> const&);

/// A confidential case (a possible BSN, or marked so) whose contents `who` may not read: its existence
/// shows (nobody falls between two stools), its subject, name, preview, needs, messages, notes and addresses do not.
bool withheld_from(queue::case_summary const&, principal const& who);

/// `withheld`: withheld_from this reader; the case says it is confidential either way.
nlohmann::json case_summary_json(queue::case_summary const&, bool withheld = false);
/// `switched_off`: channels an admin has switched off; their reply options say so (`enabled` false).
nlohmann::json case_view_json(queue::case_record const&, config const&, std::set<std::string> const& switched_off, bool withheld = false);
/// One field of the case hash; empty when absent.
std::string field(queue::case_summary const&, char const* name);
/// A whole number >= 0 (milliseconds, counts) as Redis or a query holds it; none when it is not one. Never throws.
std::optional<long long> non_negative_number(std::string_view);
nlohmann::json time_json(long long ms);
/// 403 `confidential`: what a reader of a withheld case may not do (read a file, answer, close), and what they can.
http_response confidential_refusal();

std::optional<std::string> query_param(std::string_view query, std::string_view name);

} // namespace balie::gateway
