#pragma once
// The JSON staff see: a case summary from the case hash, the full case view
// (messages with their delivery status, notes, reply options, transfer
// targets), and the addresses a reply may go to. Shared by the read path
// and the actions, which answer with the changed case.

#include "channels/case_message.hpp"
#include "gateway/config.hpp"
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

nlohmann::json case_summary_json(queue::case_summary const&);
/// `switched_off`: channels an admin has switched off; their reply options say so (`enabled` false).
nlohmann::json case_view_json(queue::case_record const&, config const&, std::set<std::string> const& switched_off);
nlohmann::json time_json(long long ms);

std::optional<std::string> query_param(std::string_view query, std::string_view name);

} // namespace balie::gateway
