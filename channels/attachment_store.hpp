#pragma once
// Attachments on disk, content-addressed: `<dir>/<first two hex>/<sha256>`.
// The same file sent twice is stored once; a stored file never changes (only
// its time is touched when it is stored again, see gateway/destruction_job.hpp). A
// file is written under a temporary name, fsynced and renamed, and the
// directory fsynced, so once `put` returns the bytes survive a crash, which
// is what lets a channel acknowledge its sender. Blocking: call it off the
// network threads.

#include <filesystem>
#include <string>
#include <string_view>

namespace balie::channels {

struct stored_file {
  std::string sha256;
  std::string ref;  ///< relative to the store's directory: "ab/ab12…"
};

class attachment_store {
public:
  explicit attachment_store(std::filesystem::path dir);

  /// Throws std::system_error when the disk refuses (full, read-only).
  stored_file put(std::string_view bytes) const;
  /// Where the file with this digest lives.
  std::filesystem::path path_of_digest(std::string_view sha256) const { return dir_ / ref_of(sha256); }
  static std::string ref_of(std::string_view sha256) { return std::string(sha256.substr(0, 2)) + "/" + std::string(sha256); }

private:
  std::filesystem::path dir_;
};

} // namespace balie::channels
