#pragma once
// The staff page and (later) the chat widget: static files under the web
// root, served at /inbox/, /chat/ and /vendor/ only. Paths are checked
// segment by segment (no dot segments, no hidden files, a short safe
// alphabet), so nothing outside those folders can be named. Pages get a
// Content-Security-Policy that allows only their own scripts and styles.

#include "server/http_server.hpp"

#include <filesystem>
#include <optional>

namespace balie::gateway {
using namespace server;

/// Whether the path belongs to the web files at all (else: the API's table).
bool is_web_path(std::string_view path);

/// The response for a GET of `path`: the file, a redirect (/inbox → /inbox/) or 404.
http_response serve_web_file(std::filesystem::path const& root, std::string_view path);

} // namespace balie::gateway
