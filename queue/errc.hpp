#pragma once
// Error codes of the queue layer. Every one of them means "not committed":
// the caller must answer its sender with a temporary failure.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace balie::queue {

enum class errc {
  not_connected = 1,  ///< no usable Redis connection right now
  timeout,            ///< Redis did not answer within the command timeout
  disconnected,       ///< the connection dropped before the reply
  error_reply,        ///< Redis answered with an error (-LOADING, -OOM, -MISCONF, ...)
  unexpected_reply,   ///< a reply of a shape the caller did not expect
  not_durable,        ///< Redis runs without appendonly/appendfsync always/noeviction
  shutting_down,      ///< the connection is being stopped
  reference_taken,    ///< the new case's reference is already in use: mint another
  no_such_case,       ///< a message for a case that does not exist
  session_ended,      ///< the chat session expired or never existed: start a new one
};

boost::system::error_category const& queue_category();
boost::system::error_code make_error_code(errc);

} // namespace balie::queue

template <>
struct boost::system::is_error_code_enum<balie::queue::errc> : std::true_type {};
