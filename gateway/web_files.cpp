#include "gateway/web_files.hpp"

#include "server/problem.hpp"

#include <fstream>
#include <sstream>

namespace balie::gateway {
using namespace server;
namespace {

constexpr std::string_view page_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// No single web file is larger; a bigger one is a mistake, not a page.
constexpr std::uintmax_t max_file_bytes = 4 << 20;
constexpr std::string_view sections[] = {"/inbox/", "/admin/", "/chat/", "/vendor/"};

std::string_view content_type(std::filesystem::path const& p) {
  auto const ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt" || ext == ".md") return "text/plain; charset=utf-8";
  return {};
}

bool safe_segment(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.size() > 100) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '@'))
      return false;
  return true;
}

http_response not_found() { return problem(404, "not-found", "There is nothing at this path."); }

} // namespace

bool is_web_path(std::string_view path) {
  if (path == "/inbox" || path == "/admin" || path == "/chat") return true;
  for (auto s : sections)
    if (path.substr(0, s.size()) == s) return true;
  return false;
}

http_response serve_web_file(std::filesystem::path const& root, std::string_view path) {
  if (path == "/inbox" || path == "/admin" || path == "/chat") {
    http_response r;
    r.status = 301;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", std::string(path) + "/");
    return r;
  }
  if (root.empty()) return not_found();
  std::filesystem::path file = root;
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    auto const slash = rest.find('/');
    auto const segment = rest.substr(0, slash);
    if (slash == std::string_view::npos) {
      if (!safe_segment(segment)) return not_found();
      file /= std::string(segment);
      break;
    }
    if (!safe_segment(segment)) return not_found();
    file /= std::string(segment);
    rest = rest.substr(slash + 1);
    if (rest.empty()) file /= "index.html";
  }
  std::error_code ec;
  auto const size = std::filesystem::file_size(file, ec);
  auto const type = content_type(file);
  if (ec || type.empty() || size > max_file_bytes || !std::filesystem::is_regular_file(file, ec)) return not_found();
  std::ifstream in(file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  if (!in && !in.eof()) return not_found();
  http_response r;
  r.content_type = std::string(type);
  r.body = body.str();
  r.headers.emplace_back("Content-Security-Policy", std::string(page_policy));
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

} // namespace balie::gateway
