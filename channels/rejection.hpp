#pragma once
// Why a piece of input was refused. Parsers and normalisers on the data plane
// return `outcome<T>` instead of throwing; the gateway turns a rejection into
// an `application/problem+json` response (or an SMTP reply, a reason file...).

#include <boost/system/result.hpp>

#include <string>
#include <utility>

namespace balie {

struct rejection {
  unsigned status = 400;  ///< the HTTP status that fits: 400, 413, 415, 422
  std::string type;       ///< short machine name, e.g. "invalid-json"; becomes the problem type URI
  std::string detail;     ///< one plain sentence for the sender
  std::string pointer;    ///< JSON pointer or location of the offending field, if any
};

inline rejection reject(unsigned status, std::string type, std::string detail, std::string pointer = {}) {
  return rejection{status, std::move(type), std::move(detail), std::move(pointer)};
}

/// Needed by boost::system::result<T, rejection>::value(); only reached when
/// code asks for a value that is not there, which is a programming error.
[[noreturn]] void throw_exception_from_error(rejection const&, boost::source_location const&);

template <class T>
using outcome = boost::system::result<T, rejection>;

} // namespace balie
