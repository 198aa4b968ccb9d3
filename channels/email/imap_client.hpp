#pragma once
// A blocking IMAP client for one mailbox, on libcurl (facts and limits in
// CHANNELS.md 1.2): STATUS and UID SEARCH as custom requests (their untagged
// answers reach the write callback), each message by a URL fetch with
// ;UIDVALIDITY= so a recreated mailbox fails instead of fetching the wrong
// mail, and UID MOVE / UID STORE as custom requests. One easy handle, so the
// connection and login are reused between calls. Run it off the network
// threads.

#include "channels/email/settings.hpp"

#include <boost/system/result.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace balie::email {

struct imap_status {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 0;
};

struct imap_error {
  enum class kind { login, transport, uidvalidity_changed, gone } what = kind::transport;
  std::string detail;
};

template <class T>
using imap_result = boost::system::result<T, imap_error>;

class imap_client {
public:
  explicit imap_client(imap_mailbox_config);
  ~imap_client();

  imap_result<imap_status> status();
  /// UIDs above `last_uid`, ascending.
  imap_result<std::vector<std::uint32_t>> uids_after(std::uint32_t last_uid);
  /// The raw message; `gone` when another client removed it meanwhile.
  imap_result<std::string> fetch(std::uint32_t uidvalidity, std::uint32_t uid);
  /// Moves the message to `processed_folder`, or flags it \Seen when none is configured.
  imap_result<void> mark_processed(std::uint32_t uid);
  /// Makes a running and every later call fail at once (shutdown: no waiting out a slow server).
  void cancel() { cancelled_ = true; }

private:
  imap_result<std::string> command(std::string const& url, std::string const& request);

  imap_mailbox_config config_;
  std::string server_;   ///< imap://host:port
  std::string folder_;   ///< as written in the URL (percent-encoded)
  struct handle;
  std::unique_ptr<handle> curl_;
  std::atomic<bool> cancelled_{false};
};

/// The folder name of an IMAP URL, for commands (percent-decoding, quoted).
std::string imap_quoted_folder(std::string_view url_folder);

} // namespace balie::email
