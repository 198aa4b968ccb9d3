// Polling rather than inotify: it works on every file system the phone
// platform may share (NFS, SMB mounts), costs one readdir per interval, and a
// missed event can never strand a file. Moves use rename(2) within one file
// system; the directory is fsynced after each move so a crash cannot bring a
// finished file back (it would be deduplicated anyway, but not re-logged).
#include "channels/phone/spool.hpp"

#include "channels/phone/intake.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace balie::channels::phone {
namespace fs = std::filesystem;

namespace {

void fsync_directory(fs::path const& dir) {
  int const fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool ends_with(std::string const& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct spool_file_kind {
  transcript_format format;
  std::string call_id;
};

std::optional<spool_file_kind> classify(std::string const& name) {
  if (name.empty() || name[0] == '.' || ends_with(name, ".tmp")) return std::nullopt;
  if (ends_with(name, ".whisper.json")) return spool_file_kind{transcript_format::whisper_json, name.substr(0, name.size() - 13)};
  if (ends_with(name, ".reason.json")) return std::nullopt;
  if (ends_with(name, ".json")) return spool_file_kind{transcript_format::balie_json, name.substr(0, name.size() - 5)};
  if (ends_with(name, ".vtt")) return spool_file_kind{transcript_format::webvtt, name.substr(0, name.size() - 4)};
  return std::nullopt;
}

} // namespace

transcript_spool::transcript_spool(boost::asio::any_io_executor ex, spool_options options, inbound_sink& sink,
                                   clock_fn clock, id_source& ids, spool_event_fn on_event)
    : strand_(boost::asio::make_strand(ex)), timer_(strand_), options_(std::move(options)), sink_(sink),
      clock_(std::move(clock)), ids_(ids), on_event_(std::move(on_event)) {}

void transcript_spool::start() {
  fs::create_directories(options_.directory / "done");
  fs::create_directories(options_.directory / "failed");
  boost::asio::post(strand_, [self = shared_from_this()] { self->scan(); });
}

void transcript_spool::stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void transcript_spool::schedule() {
  if (stopped_) return;
  timer_.expires_after(options_.poll_interval);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->scan();
  });
}

void transcript_spool::scan() {
  if (stopped_) return;
  std::error_code ec;
  std::vector<fs::path> ready;
  for (fs::directory_iterator it(options_.directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto const name = it->path().filename().string();
    if (classify(name) && !in_flight_.count(name)) ready.push_back(it->path());
  }
  if (ec) on_event_("phone.spool.scan_failed", options_.directory.string(), ec.message());
  std::sort(ready.begin(), ready.end());  // oldest call ids first when platforms name by time
  for (auto const& file : ready) {
    if (in_flight_.size() >= options_.max_in_flight) break;
    ingest(file);
  }
  schedule();
}

void transcript_spool::ingest(fs::path const& file) {
  auto const name = file.filename().string();
  auto const kind = classify(name);
  std::error_code ec;
  auto const size = fs::file_size(file, ec);
  if (ec) return;  // vanished between readdir and stat: the platform took it back
  if (size > options_.max_file_bytes) return finish(file, options_.directory / "failed", "The file is larger than the limit.");
  std::ifstream in(file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  if (!in) return;

  call_metadata meta;
  if (kind->format != transcript_format::balie_json) meta.call_id = kind->call_id;
  auto submission = read_transcript(kind->format, body.str(), meta, normalise_context{clock_(), ids_, "spool"});
  if (!submission) {
    auto const& r = submission.error();
    return finish(file, options_.directory / "failed",
                  nlohmann::json{{"type", r.type}, {"detail", r.detail}, {"pointer", r.pointer}}.dump());
  }
  in_flight_.insert(name);
  sink_.submit(std::move(submission->message), std::move(submission->dedup_key),
               [self = shared_from_this(), file, name](boost::system::error_code ec, submit_result const& result) {
                 boost::asio::post(self->strand_, [self, file, name, ec, result] {
                   self->in_flight_.erase(name);
                   if (ec) {
                     // Not durable: leave the file where it is; the next scan retries.
                     // Said once per file, not at every poll of a long outage.
                     if (self->deferred_.insert(name).second) self->on_event_("phone.spool.deferred", name, ec.message());
                     return;
                   }
                   self->deferred_.erase(name);
                   self->finish(file, self->options_.directory / "done", {});
                   self->on_event_(result.status == submit_status::duplicate ? "phone.spool.duplicate" : "phone.spool.ingested",
                                   name, result.message_id);
                 });
               });
}

void transcript_spool::finish(fs::path const& file, fs::path const& to_dir, std::string const& reason) {
  auto const name = file.filename().string();
  std::error_code ec;
  if (!reason.empty()) {
    auto const tmp = to_dir / ("." + name + ".reason.tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << reason << '\n';
    }
    fs::rename(tmp, to_dir / (name + ".reason.json"), ec);
  }
  fs::rename(file, to_dir / name, ec);
  if (ec) on_event_("phone.spool.move_failed", name, ec.message());
  fsync_directory(to_dir);
  fsync_directory(options_.directory);
  // Reported only once the file is where the event says it is.
  if (!reason.empty()) on_event_("phone.spool.rejected", name, reason);
}

} // namespace balie::channels::phone
