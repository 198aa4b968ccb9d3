#pragma once
// Identifiers Balie mints: ULIDs for messages and cases (time-ordered, so a
// case's id sorts by creation), and short case references residents can read
// aloud on the phone (`BL-` + 6 Crockford base32 characters: no I, L, O, U).
// Strangers see these ids (in URLs, VERP bounce addresses, references), so
// their random part comes from the kernel's CSPRNG (getrandom(2)), never from
// a seedable generator whose state could be recovered from observed ids.

#include "channels/case_message.hpp"

#include <string>
#include <string_view>

namespace balie {

/// 26 Crockford base32 characters, upper case: the form of every id id_source mints.
bool is_ulid(std::string_view);

/// Thread-safe: it holds no state.
class id_source {
public:
  std::string ulid(timestamp now);
  std::string case_reference();
};

/// `n` bytes from getrandom(2); throws std::system_error only if the kernel refuses.
void random_bytes(unsigned char* out, std::size_t n);

} // namespace balie
