#include "channels/outbound_http.hpp"

#include <curl/curl.h>

#include <memory>

namespace balie::channels {
namespace {

struct curl_cleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct answer_sink {
  outbound_answer* out;
  std::size_t max;
};

std::size_t keep_answer(char* data, std::size_t size, std::size_t count, void* user) {
  auto& sink = *static_cast<answer_sink*>(user);
  auto const n = size * count;
  auto const room = sink.max - std::min(sink.max, sink.out->body.size());
  if (n > room) sink.out->too_large = true;
  sink.out->body.append(data, std::min(n, room));
  return sink.out->too_large ? 0 : n;  // 0 ends the transfer: a body over the limit is not read on
}

std::size_t keep_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& out = *static_cast<outbound_answer*>(user);
  std::string_view line(data, size * count);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (same) {
      auto value = line.substr(name.size());
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
      out.retry_after = std::string(value.substr(0, 64));
    }
  }
  return size * count;
}

int abort_when_cancelled(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool> const*>(flag)->load() ? 1 : 0;
}

} // namespace

outbound_answer call_with_curl(outbound_request const& req, std::chrono::seconds timeout, std::atomic<bool> const& cancelled) {
  outbound_answer out;
  std::unique_ptr<CURL, curl_cleanup> c(curl_easy_init());
  if (!c) {
    out.transport = "libcurl unavailable";
    return out;
  }
  std::unique_ptr<curl_slist, curl_cleanup> headers;
  for (auto const& [name, value] : req.headers) headers.reset(curl_slist_append(headers.release(), (name + ": " + value).c_str()));
  curl_easy_setopt(c.get(), CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  if (req.method == "POST" || req.method == "PUT") {
    curl_easy_setopt(c.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    if (req.method == "PUT") curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, "PUT");
  }
  answer_sink sink{&out, req.max_answer};
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, keep_answer);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, keep_header);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &out);
  curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancelled));
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, error);
  auto const rc = curl_easy_perform(c.get());
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &out.status);
  if (char* type = nullptr; curl_easy_getinfo(c.get(), CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) out.content_type = type;
  if (rc == CURLE_WRITE_ERROR && out.too_large) return out;  // answered, but longer than the caller takes
  if (rc != CURLE_OK) {
    // The error text names the host, never the URL's query (it may hold a text or a password).
    out.transport = std::string(curl_easy_strerror(rc));
    out.status = 0;
  }
  return out;
}

} // namespace balie::channels
