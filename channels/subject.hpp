#pragma once
// Mail programs stack reply and forward prefixes ("RE: Antw: RE: Aanvraag …").
// The case subject staff see drops them, and Balie's reply carries exactly one
// "Re: " in front of that plain subject instead of growing the chain further.
// Only the common prefixes are known; anything else (WG:, Tr:) is kept as is.

#include <string>
#include <string_view>

namespace balie {

/// The subject without the leading Re:, RE:, Antw:, AW:, Fwd:, FWD:, Fw:, FW:
/// and Doorst: prefixes (any case, repeated, also "Re[2]:", "Re(2):" and
/// "Re :"), and without surrounding spaces and tabs. The rest is kept byte for
/// byte. Only prefixes: empty.
std::string plain_subject(std::string_view subject);

/// "Re: " + plain_subject(case_subject), or empty when that is empty.
std::string reply_subject(std::string_view case_subject);

} // namespace balie
