#include "channels/messenger/media_fetch.hpp"

#include "channels/json_fields.hpp"
#include "channels/messenger/matrix_api.hpp"

#include <nlohmann/json.hpp>

namespace balie::messenger {
namespace {

/// A declared size past this (a petabyte) is no size: kept at this, and so always over the limit.
constexpr unsigned long long max_declared_bytes = 1ULL << 50;

using k = media_answer::kind;

/// A server name or media id as mxc:// URIs carry them (the spec's grammar, a little wider for ports).
bool is_media_part(std::string_view s, bool server) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    bool const plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!plain && !(server && (c == '.' || c == ':' || c == '[' || c == ']'))) return false;
  }
  return true;
}

media_answer by_status(channels::outbound_answer const& a, char const* what) {
  auto const detail = std::string(what) + " " + std::to_string(a.status);
  if (a.status == 0) return {k::retry, std::string(what) + ": no answer: " + a.transport};
  if (a.status == 429 || a.status == 408 || a.status >= 500) return {k::retry, detail};
  return {k::failed, detail};  // gone (404), expired or refused: asking again will not help
}

} // namespace

channels::outbound_request whatsapp_media_info_request(whatsapp_config const& c, std::string const& media_id) {
  return {"GET", c.graph_url + "/" + media_id, {{"Authorization", "Bearer " + c.access_token}}, {}};
}

media_location read_whatsapp_media_info(channels::outbound_answer const& a, std::size_t max_bytes) {
  if (a.status < 200 || a.status >= 300) return {by_status(a, "media info"), {}, -1};
  auto const j = nlohmann::json::parse(a.body, nullptr, false);
  media_location out;
  out.url = json_fields::text(j, "url");
  if (!out.url.starts_with("https://") && !out.url.starts_with("http://")) return {{k::failed, "media info without a URL"}, {}, -1};
  if (auto const size = j.is_object() ? j.find("file_size") : j.end(); j.is_object() && size != j.end() && size->is_number_unsigned())
    out.size = static_cast<long long>(std::min<unsigned long long>(size->get<unsigned long long>(), max_declared_bytes));
  if (out.size > static_cast<long long>(max_bytes)) out.answer = {k::too_large, "declared " + std::to_string(out.size) + " bytes"};
  return out;
}

channels::outbound_request whatsapp_media_request(whatsapp_config const& c, std::string const& url, std::size_t max_bytes) {
  channels::outbound_request r{"GET", url, {{"Authorization", "Bearer " + c.access_token}}, {}};
  r.max_answer = max_bytes + 1;  // one byte more tells a file over the limit from one at it
  return r;
}

std::optional<channels::outbound_request> matrix_media_request(matrix_config const& c, std::string const& mxc, std::size_t max_bytes) {
  if (!mxc.starts_with("mxc://")) return std::nullopt;
  auto const rest = std::string_view(mxc).substr(6);
  auto const slash = rest.find('/');
  if (slash == std::string_view::npos || !is_media_part(rest.substr(0, slash), true) || !is_media_part(rest.substr(slash + 1), false))
    return std::nullopt;
  channels::outbound_request r{"GET",
                               c.homeserver_url + "/_matrix/client/v1/media/download/" + std::string(rest.substr(0, slash)) + "/" +
                                   std::string(rest.substr(slash + 1)) + "?user_id=" + path_segment(c.bot()),
                               {{"Authorization", "Bearer " + c.as_token}},
                               {}};
  r.max_answer = max_bytes + 1;
  return r;
}

media_answer read_media(channels::outbound_answer const& a) {
  if (a.too_large) return {k::too_large, "larger than the limit"};
  if (a.status < 200 || a.status >= 300) return by_status(a, "media");
  return {k::ok, ""};
}

} // namespace balie::messenger
