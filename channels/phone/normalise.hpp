#pragma once
// Turns a checked call_transcript into a case-message. Pure: the clock and
// the id source are passed in.

#include "channels/ids.hpp"
#include "channels/phone/transcript.hpp"

namespace balie::channels::phone {

struct normalise_context {
  timestamp now;
  id_source& ids;
  std::string provider;  ///< transcript-api or spool
};

case_message normalise(call_transcript const&, normalise_context const&);

/// The dedup key of a call: one call is one message, however often it is sent.
std::string dedup_key(call_transcript const&);

} // namespace balie::channels::phone
