#pragma once
// What an answer of Open Klant means for the hand-over (sans-io): the
// expected status with a JSON body goes on; `400` refuses this contact for
// good (a dead letter, with the fields and codes of its `invalidParams`, never
// their values); a refused token, a wrong address, `429`, a server error or
// no answer at all are tried again later.

#include "channels/outbound_http.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace balie::openklant {

struct api_result {
  enum class kind { ok, refused, unavailable, bad_credentials } outcome = kind::ok;
  nlohmann::json body;  ///< ok: the parsed answer
  std::string detail;   ///< why not; for the log, the dead letter and health: names and codes only
  std::chrono::seconds retry_after{0};
};

/// `what` names the call in the detail ("POST /maak-klantcontact").
api_result read_answer(channels::outbound_answer const&, long expected, std::string const& what);

} // namespace balie::openklant
