#pragma once
// What a messenger platform's answer to a send means, the same for WhatsApp
// and Matrix, so the sender has one set of outcomes to act on.

#include <chrono>
#include <string>

namespace balie::messenger {

struct send_answer {
  enum class kind {
    accepted,         ///< the platform took it; `platform_id` names it there
    retry,            ///< the platform failed for now (5xx, a timeout, a rate limit)
    failed,           ///< this message will never go (an unknown room, a blocked number)
    bad_credentials,  ///< Balie's own token was refused: nothing goes until an operator acts
    outside_window,   ///< WhatsApp: the 24-hour window closed; only a template may go
  };
  kind outcome = kind::accepted;
  std::string platform_id;
  std::string detail;  ///< the platform's code, never the text
  std::chrono::milliseconds retry_after{0};  ///< the platform said when to come back
};

} // namespace balie::messenger
