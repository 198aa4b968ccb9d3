#include "channels/sms/provider_http.hpp"

#include <curl/curl.h>

#include <memory>

namespace balie::sms {
namespace {

constexpr std::size_t max_answer_bytes = std::size_t{64} * 1024;

struct curl_cleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::size_t keep_answer(char* data, std::size_t size, std::size_t count, void* user) {
  auto& out = *static_cast<std::string*>(user);
  auto const n = size * count;
  out.append(data, std::min(n, max_answer_bytes - std::min(max_answer_bytes, out.size())));
  return n;
}

int abort_when_cancelled(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool> const*>(flag)->load() ? 1 : 0;
}

} // namespace

provider_response call_with_curl(provider_request const& req, std::chrono::seconds timeout, std::atomic<bool> const& cancelled) {
  provider_response out;
  std::unique_ptr<CURL, curl_cleanup> c(curl_easy_init());
  if (!c) return {0, {}, "libcurl unavailable"};
  std::unique_ptr<curl_slist, curl_cleanup> headers;
  for (auto const& [name, value] : req.headers) headers.reset(curl_slist_append(headers.release(), (name + ": " + value).c_str()));
  curl_easy_setopt(c.get(), CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  if (req.method == "POST") {
    curl_easy_setopt(c.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, keep_answer);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancelled));
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, error);
  auto const rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) {
    // The error text names the host, never the URL's query (it holds the text and Kannel's password).
    out.transport = std::string(curl_easy_strerror(rc));
    out.status = 0;
    return out;
  }
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

} // namespace balie::sms
