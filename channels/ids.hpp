#pragma once
// Identifiers Balie mints: ULIDs for messages and cases (time-ordered, so a
// case's id sorts by creation), and short case references residents can read
// aloud on the phone (`BL-` + 6 Crockford base32 characters: no I, L, O, U).

#include "channels/case_message.hpp"

#include <mutex>
#include <random>
#include <string>
#include <string_view>

namespace balie {

/// 26 Crockford base32 characters, upper case: the form of every id id_source mints.
bool is_ulid(std::string_view);

class id_source {
public:
  /// `seed` 0 draws from std::random_device; tests pass a fixed seed.
  explicit id_source(std::uint64_t seed = 0);

  std::string ulid(timestamp now);
  std::string case_reference();

private:
  std::mutex mutex_;  // shared by all intake paths
  std::mt19937_64 rng_;
};

} // namespace balie
