#include "channels/subject.hpp"

#include <doctest/doctest.h>

#include <string_view>

using namespace balie;

namespace {

struct subject_row {
  std::string_view input;
  std::string_view expected;
};

// Subjects as residents' mail programs send them back (invented content).
constexpr subject_row plain_rows[] = {
    // Outlook NL
    {"Antw: Aanvraag gehandicaptenparkeerkaart [BL-MZFZ8T]", "Aanvraag gehandicaptenparkeerkaart [BL-MZFZ8T]"},
    {"Doorst: Melding losse stoeptegel Kerkstraat", "Melding losse stoeptegel Kerkstraat"},
    {"RE: Antw: RE: Aanvraag gehandicaptenparkeerkaart [BL-MZFZ8T]", "Aanvraag gehandicaptenparkeerkaart [BL-MZFZ8T]"},
    {"Antw: Doorst: Antw: Vraag over afvalpas", "Vraag over afvalpas"},
    // Outlook EN
    {"RE: Bulky waste collection [BL-K3P9QA]", "Bulky waste collection [BL-K3P9QA]"},
    {"FW: RE: Parking permit", "Parking permit"},
    // Gmail
    {"Re: Container kapot", "Container kapot"},
    {"Fwd: Re: Container kapot [BL-2QW7RT]", "Container kapot [BL-2QW7RT]"},
    {"Fw: Bezwaar WOZ-beschikking", "Bezwaar WOZ-beschikking"},
    {"FWD: Bezwaar WOZ-beschikking", "Bezwaar WOZ-beschikking"},
    // Apple Mail
    {"Re: Fwd: Afspraak paspoort", "Afspraak paspoort"},
    // Thunderbird (German)
    {"AW: Anfrage Anwohnerparkausweis", "Anfrage Anwohnerparkausweis"},
    {"WG: Anfrage Anwohnerparkausweis", "WG: Anfrage Anwohnerparkausweis"},  // WG: is not on the list
    {"AW: WG: Re: Anfrage", "WG: Re: Anfrage"},                            // stops at the first unknown prefix
    // Thunderbird (French)
    {"Tr: Demande de rendez-vous", "Tr: Demande de rendez-vous"},  // Tr: is not on the list
    // Numbered forms (older Outlook, some webmail)
    {"Re[2]: Vraag over bijstand", "Vraag over bijstand"},
    {"RE[3]: Antw: Vraag over bijstand", "Vraag over bijstand"},
    {"Re(2): Vraag over bijstand", "Vraag over bijstand"},
    {"Re[]: Vraag", "Re[]: Vraag"},  // no number: not a prefix
    // French-style spacing (some clients put a space before the colon)
    {"Re : Aanvraag evenementenvergunning", "Aanvraag evenementenvergunning"},
    // Odd spacing and tabs (hand-edited subjects, unfolded headers)
    {"  Re:Re:   Antw:\tVraag  over  de  tuin \t ", "Vraag  over  de  tuin"},
    {"\tRE :\tFW:Melding", "Melding"},
    // Lower and mixed case (mobile clients, typed by hand)
    {"re: fwd: aw: vraag", "vraag"},
    {"rE: aNtW: Vraag", "Vraag"},
    // Only prefixes
    {"Re:", ""},
    {"RE: Antw: Doorst: ", ""},
    {"", ""},
    {" \t ", ""},
    // Words that only look like prefixes
    {"Reparatie: lantaarnpaal defect", "Reparatie: lantaarnpaal defect"},
    {"Antwoord op uw vraag", "Antwoord op uw vraag"},
    {"Antwoord gemeente", "Antwoord gemeente"},
    {"Fwdx: iets", "Fwdx: iets"},
    {"Re vraag", "Re vraag"},
    {"Re: Reparatie: lantaarnpaal", "Reparatie: lantaarnpaal"},
    // A prefix later in the subject stays
    {"Vraag over Re: eerdere mail", "Vraag over Re: eerdere mail"},
    // UTF-8 (Outlook NL, Gmail)
    {"Re: Vraag over één formulier", "Vraag over één formulier"},
    {"Antw: Überweisung – ‘factuur’ 😊", "Überweisung – ‘factuur’ 😊"},
    // Bracketed tags stay, also when they come first
    {"RE: [BL-MZFZ8T] Aanvraag", "[BL-MZFZ8T] Aanvraag"},
};

} // namespace

TEST_CASE("plain_subject drops the reply and forward prefixes mail programs add") {
  for (auto const& row : plain_rows) {
    CAPTURE(row.input);
    CHECK(plain_subject(row.input) == row.expected);
  }
}

TEST_CASE("reply_subject puts exactly one Re: in front of the plain subject") {
  CHECK(reply_subject("Container kapot [BL-2QW7RT]") == "Re: Container kapot [BL-2QW7RT]");
  CHECK(reply_subject("RE: Antw: RE: Aanvraag gehandicaptenparkeerkaart [BL-MZFZ8T]") ==
        "Re: Aanvraag gehandicaptenparkeerkaart [BL-MZFZ8T]");
  CHECK(reply_subject("Re: Vraag over één formulier") == "Re: Vraag over één formulier");
  CHECK(reply_subject("WG: Anfrage") == "Re: WG: Anfrage");
  CHECK(reply_subject(reply_subject("Fwd: Afspraak paspoort")) == "Re: Afspraak paspoort");
  CHECK(reply_subject("") == "");
  CHECK(reply_subject("Re: Antw:  ") == "");
}
