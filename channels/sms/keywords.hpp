#pragma once
// Whole-message keywords (CHANNELS.md 2.7): an SMS that is nothing but
// `STOP`, `UIT`, `STOPPEN` or `AFMELDEN` (any case, spaces and a closing `.`
// or `!` ignored) opts the number out of replies by SMS; `START` or `AAN`
// opts it back in. A keyword inside a sentence — "stop de overlast bij de
// bushalte" — is an ordinary message.

#include <string_view>

namespace balie::sms {

enum class keyword { none, opt_out, opt_in };

keyword keyword_of(std::string_view text);

} // namespace balie::sms
