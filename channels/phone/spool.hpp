#pragma once
// The phone platform's drop directory. The platform writes a transcript under
// a temporary name (`*.tmp` or a dot-file) and renames it when complete; Balie
// picks up `<call id>.json` (Balie JSON), `<call id>.vtt` (WebVTT) and
// `<call id>.whisper.json` (whisper.cpp). A file moves to `done/` only after
// the enqueue succeeded, or to `failed/` with a `<name>.reason.json` beside it.
// While Redis is unreachable files simply stay and are tried again.

#include "channels/inbound_sink.hpp"
#include "channels/ids.hpp"
#include "channels/time_format.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <filesystem>
#include <memory>
#include <set>

namespace balie::channels::phone {

struct spool_options {
  std::filesystem::path directory;
  std::chrono::milliseconds poll_interval{500};  ///< how soon a dropped file is seen
  std::size_t max_file_bytes = 5 * 1024 * 1024;  ///< same bound as the HTTP endpoint
  std::size_t max_in_flight = 32;                ///< bounds memory when thousands of files wait
};

/// Reports what happened to a file: event name, file name, outcome detail.
using spool_event_fn = std::function<void(std::string_view event, std::string_view file, std::string_view detail)>;

class transcript_spool : public std::enable_shared_from_this<transcript_spool> {
public:
  transcript_spool(boost::asio::any_io_executor, spool_options, inbound_sink&, clock_fn, id_source&, spool_event_fn);

  /// Creates the directories and starts polling.
  void start();
  void stop();
  /// Scans once now (the poll timer calls this too).
  void scan();
  std::size_t in_flight() const { return in_flight_.size(); }

private:
  void schedule();
  void ingest(std::filesystem::path const&);
  void finish(std::filesystem::path const& file, std::filesystem::path const& to_dir, std::string const& reason);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  spool_options options_;
  inbound_sink& sink_;
  clock_fn clock_;
  id_source& ids_;
  spool_event_fn on_event_;
  std::set<std::string> in_flight_;
  std::set<std::string> deferred_;  ///< files whose deferral was already reported
  bool stopped_ = false;
};

} // namespace balie::channels::phone
