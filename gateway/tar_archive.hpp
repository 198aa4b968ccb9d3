#pragma once
// A POSIX ustar archive in memory: what a privacy officer hands to a resident
// for an access request (gateway/residents_api.cpp). Plain files only, names
// of at most 100 bytes (callers keep them short), no compression: every
// archiver opens it, Windows' own included.

#include <cstdint>
#include <string>
#include <string_view>

namespace balie::gateway {

class tar_archive {
public:
  /// Adds a file; `mtime` in seconds since the epoch. Throws std::length_error for a name over 100 bytes.
  void add(std::string_view name, std::string_view bytes, std::int64_t mtime);
  /// The bytes so far, plus the end-of-archive marker.
  std::string finish() &&;
  std::size_t size() const { return out_.size(); }

private:
  std::string out_;
};

} // namespace balie::gateway
