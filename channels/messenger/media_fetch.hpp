#pragma once
// Files residents send, fetched from the platform without I/O here: the
// requests and what each answer means. WhatsApp gives a media id: the Graph
// API names a short-lived URL for it (`GET /{media-id}`), which is fetched
// with the same access token. Matrix gives an mxc:// URI, fetched through
// the homeserver's authenticated media API as Balie's bot. A file is read at
// most up to the configured limit: a larger one is not kept, and staff are
// told; a platform that fails for now is asked again later (the request is
// answered 503, so the platform sends it again).

#include "channels/messenger/settings.hpp"
#include "channels/outbound_http.hpp"

#include <optional>
#include <string>

namespace balie::messenger {

struct media_answer {
  enum class kind { ok, too_large, retry, failed };
  kind outcome = kind::ok;
  std::string detail;  ///< for the log; never the file's contents or URL
};

/// WhatsApp, step one: where the file is (`GET {graph_url}/{media id}`).
channels::outbound_request whatsapp_media_info_request(whatsapp_config const&, std::string const& media_id);
/// The URL and declared size from step one's answer; the outcome says why there is none.
struct media_location {
  media_answer answer;
  std::string url;
  long long size = -1;  ///< -1: not given
};
media_location read_whatsapp_media_info(channels::outbound_answer const&, std::size_t max_bytes);
/// WhatsApp, step two: the file itself, with the access token.
channels::outbound_request whatsapp_media_request(whatsapp_config const&, std::string const& url, std::size_t max_bytes);

/// Matrix: `GET {homeserver}/_matrix/client/v1/media/download/{server}/{id}` as Balie's bot; nullopt for a URI that is not mxc://server/id.
std::optional<channels::outbound_request> matrix_media_request(matrix_config const&, std::string const& mxc, std::size_t max_bytes);

/// A download's answer: the body is the file when `ok`.
media_answer read_media(channels::outbound_answer const&);

} // namespace balie::messenger
