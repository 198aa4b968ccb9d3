#pragma once
// The phone channel's section of the configuration (/channels/phone), read
// and validated here so that the channel owns its settings.

#include "channels/config_reader.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace balie::channels::phone {

struct phone_config {
  bool enabled = true;
  std::filesystem::path spool_dir;  ///< empty: no spool directory
  std::chrono::milliseconds spool_poll{500};
  std::size_t max_transcript_bytes = 5 * 1024 * 1024;
  bool operator==(phone_config const&) const = default;
};

/// Reads /channels/phone; throws config_error naming the key.
phone_config read_phone_config(object_reader&, config_context const&);

} // namespace balie::channels::phone
