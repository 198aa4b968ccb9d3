#include "channels/email/imap_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace balie::email {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

/// The number after `key` in an untagged answer, e.g. "UIDVALIDITY 1234".
std::optional<std::uint32_t> number_after(std::string const& text, std::string const& key) {
  auto pos = text.find(key + " ");
  if (pos == std::string::npos) return std::nullopt;
  pos += key.size() + 1;
  std::uint32_t v = 0;
  auto const [ptr, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), v);
  if (ec != std::errc{}) return std::nullopt;
  return v;
}

int abort_when_cancelled(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

imap_error error_of(CURLcode rc, char const* detail) {
  imap_error e;
  e.detail = std::string(curl_easy_strerror(rc)) + (detail && *detail ? std::string(": ") + detail : "");
  if (rc == CURLE_LOGIN_DENIED) e.what = imap_error::kind::login;
  return e;
}

} // namespace

struct imap_client::handle {
  CURL* c = curl_easy_init();
  ~handle() {
    if (c) curl_easy_cleanup(c);
  }
};

std::string imap_quoted_folder(std::string_view url_folder) {
  std::string out = "\"";
  for (std::size_t i = 0; i < url_folder.size(); ++i) {
    char c = url_folder[i];
    if (c == '%' && i + 2 < url_folder.size()) {
      int v = 0;
      std::from_chars(url_folder.data() + i + 1, url_folder.data() + i + 3, v, 16);
      c = static_cast<char>(v);
      i += 2;
    }
    if (c == '"' || c == '\\') out += '\\';
    if (c != '\r' && c != '\n') out += c;
  }
  return out + "\"";
}

imap_client::imap_client(imap_mailbox_config cfg) : config_(std::move(cfg)), curl_(std::make_unique<handle>()) {
  auto const slash = config_.url.find('/', config_.url.find("//") + 2);
  server_ = config_.url.substr(0, slash);
  folder_ = slash == std::string::npos ? "INBOX" : config_.url.substr(slash + 1);
  if (folder_.empty()) folder_ = "INBOX";
}

imap_client::~imap_client() = default;

imap_result<std::string> imap_client::command(std::string const& url, std::string const& request) {
  auto* c = curl_->c;
  if (!c) return imap_error{imap_error::kind::transport, "libcurl unavailable"};
  if (cancelled_) return imap_error{imap_error::kind::transport, "stopped"};
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  if (!request.empty()) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &cancelled_);
  // TLS or nothing; plain text only for a loopback test server (checked in config).
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(config_.allow_plaintext ? CURLUSESSL_NONE : CURLUSESSL_ALL));
  auto const rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return error_of(rc, error);
  return body;
}

imap_result<imap_status> imap_client::status() {
  // A fresh connection per round: a session that has the folder selected may
  // keep reporting the UIDVALIDITY it saw when it selected it.
  curl_ = std::make_unique<handle>();
  auto r = command(server_ + "/", "STATUS " + imap_quoted_folder(folder_) + " (UIDVALIDITY UIDNEXT)");
  if (!r) return r.error();
  auto const validity = number_after(*r, "UIDVALIDITY");
  auto const next = number_after(*r, "UIDNEXT");
  if (!validity || !next) return imap_error{imap_error::kind::transport, "no UIDVALIDITY in the STATUS answer"};
  return imap_status{*validity, *next};
}

imap_result<std::vector<std::uint32_t>> imap_client::uids_after(std::uint32_t last_uid) {
  auto r = command(server_ + "/" + folder_, "UID SEARCH UID " + std::to_string(last_uid + 1) + ":*");
  if (!r) return r.error();
  std::vector<std::uint32_t> uids;
  std::istringstream lines(*r);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("* SEARCH", 0) != 0) continue;
    std::istringstream words(line.substr(8));
    // "n:*" always names the highest UID, even one at or below n: keep only newer ones.
    for (std::uint32_t uid; words >> uid;)
      if (uid > last_uid) uids.push_back(uid);
  }
  std::sort(uids.begin(), uids.end());
  return uids;
}

imap_result<std::string> imap_client::fetch(std::uint32_t uidvalidity, std::uint32_t uid) {
  auto r = command(server_ + "/" + folder_ + ";UIDVALIDITY=" + std::to_string(uidvalidity) + "/;UID=" + std::to_string(uid), "");
  if (!r) {
    // libcurl fails a URL whose UIDVALIDITY no longer matches with "remote file not found" (78).
    auto e = r.error();
    if (e.detail.find(curl_easy_strerror(CURLE_REMOTE_FILE_NOT_FOUND)) == 0) e.what = imap_error::kind::uidvalidity_changed;
    return e;
  }
  if (r->empty()) return imap_error{imap_error::kind::gone, "the message is gone"};
  return r;
}

imap_result<void> imap_client::mark_processed(std::uint32_t uid) {
  auto const request = config_.processed_folder.empty()
                           ? "UID STORE " + std::to_string(uid) + " +FLAGS (\\Seen)"
                           : "UID MOVE " + std::to_string(uid) + " " + imap_quoted_folder(config_.processed_folder);
  auto r = command(server_ + "/" + folder_, request);
  if (!r) return r.error();
  return {};
}

} // namespace balie::email
