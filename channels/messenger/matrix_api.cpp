#include "channels/messenger/matrix_api.hpp"

#include "channels/json_fields.hpp"
#include "channels/webhook_signatures.hpp"

#include <nlohmann/json.hpp>

namespace balie::messenger {
namespace {

using json = nlohmann::json;

/// The longest wait a homeserver's retry_after_ms is taken at; a longer one is a backoff like any other.
constexpr unsigned long long max_retry_after_ms = 3'600'000;
constexpr std::size_t max_errcode_length = 40;

std::string as_bot(matrix_config const& c) { return "?user_id=" + path_segment(c.bot()); }

/// A regular expression matching `s` literally.
std::string literal(std::string const& s) {
  std::string out;
  for (char ch : s) {
    if (std::string_view(".^$*+?()[]{}|\\").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

} // namespace

std::string path_segment(std::string_view s) { return channels::percent_encode(s); }

channels::outbound_request matrix_send_request(matrix_config const& c, std::string const& room, std::string const& txn_id,
                                               std::string const& text) {
  json const body = {{"msgtype", "m.text"}, {"body", text}};
  return {"PUT",
          c.homeserver_url + "/_matrix/client/v3/rooms/" + path_segment(room) + "/send/m.room.message/" + path_segment(txn_id) + as_bot(c),
          {{"Authorization", "Bearer " + c.as_token}, {"Content-Type", "application/json"}},
          body.dump()};
}

channels::outbound_request matrix_join_request(matrix_config const& c, std::string const& room) {
  return {"POST", c.homeserver_url + "/_matrix/client/v3/join/" + path_segment(room) + as_bot(c),
          {{"Authorization", "Bearer " + c.as_token}, {"Content-Type", "application/json"}}, "{}"};
}

send_answer read_matrix_answer(channels::outbound_answer const& a) {
  using k = send_answer::kind;
  if (a.status == 0) return {k::retry, "", "no answer from the homeserver: " + a.transport};
  auto const body = json::parse(a.body, nullptr, false);
  auto const errcode = json_fields::text(body, "errcode").substr(0, max_errcode_length);
  auto const detail = "homeserver " + std::to_string(a.status) + (errcode.empty() ? "" : " " + errcode);
  if (a.status >= 200 && a.status < 300) {
    auto id = json_fields::text(body, "event_id");
    if (id.empty()) id = json_fields::text(body, "room_id");
    if (id.empty() || id.size() > 255) return {k::retry, "", "homeserver " + std::to_string(a.status) + " without an id"};
    return {k::accepted, id, ""};
  }
  if (a.status == 429 || errcode == "M_LIMIT_EXCEEDED") {
    std::chrono::milliseconds wait{0};
    if (auto const* ms = body.is_object() && body.contains("retry_after_ms") ? &body["retry_after_ms"] : nullptr; ms && ms->is_number_unsigned())
      wait = std::chrono::milliseconds(std::min(ms->get<unsigned long long>(), max_retry_after_ms));
    else
      wait = std::chrono::duration_cast<std::chrono::milliseconds>(channels::retry_after_seconds(a.retry_after));
    return {k::retry, "", detail, wait};
  }
  if (a.status == 401 || errcode == "M_UNKNOWN_TOKEN" || errcode == "M_MISSING_TOKEN") return {k::bad_credentials, "", detail};
  if (a.status >= 500) return {k::retry, "", detail};
  return {k::failed, "", detail};  // M_FORBIDDEN (not in the room), M_NOT_FOUND, a bad request
}

std::string registration_yaml(matrix_config const& c, std::string const& balie_url, std::string const& as_token, std::string const& hs_token) {
  auto const server = literal(c.server_name);
  // JSON strings are valid YAML scalars: every value quoted, nothing to escape by hand.
  auto const q = [](std::string const& s) { return json(s).dump(); };
  return "# Balie as a Matrix application service. Give this file to the homeserver's admin\n"
         "# (Synapse: app_service_config_files). It holds two secrets: keep it private.\n"
         "id: " + q(c.appservice_id) + "\n"
         "url: " + q(balie_url) + "\n"
         "as_token: " + q(as_token) + "\n"
         "hs_token: " + q(hs_token) + "\n"
         "sender_localpart: " + q(c.sender_localpart) + "\n"
         "rate_limited: false\n"
         "receive_ephemeral: true\n"
         "de.sorunome.msc2409.push_ephemeral: true\n"
         "namespaces:\n"
         "  users:\n"
         "    - exclusive: true\n"
         "      regex: " + q("@" + literal(c.user_prefix) + ".*:" + server) + "\n"
         "  aliases:\n"
         "    - exclusive: true\n"
         "      regex: " + q("#" + literal(c.user_prefix) + ".*:" + server) + "\n"
         "  rooms: []\n";
}

} // namespace balie::messenger
