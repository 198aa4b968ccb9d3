// Whole-message SMS keywords: a keyword alone opts out or in; the same word
// inside a sentence is an ordinary message.
#include "channels/sms/keywords.hpp"

#include <doctest/doctest.h>

using balie::sms::keyword;
using balie::sms::keyword_of;

TEST_CASE("STOP, UIT, STOPPEN and AFMELDEN alone opt out; START and AAN opt in; any case, spaces and a closing . or ! ignored") {
  for (auto const* t : {"STOP", "stop", "Stop", " UIT ", "uit", "STOPPEN", "Stoppen\n", "afmelden", "STOP.", "Stop!", "\tuit !"})
    CHECK_MESSAGE(keyword_of(t) == keyword::opt_out, t);
  for (auto const* t : {"START", "start", " Start ", "AAN", "aan."}) CHECK_MESSAGE(keyword_of(t) == keyword::opt_in, t);
}

TEST_CASE("a keyword inside a message, or a near miss, is an ordinary message") {
  for (auto const* t : {"stop de overlast bij de bushalte", "STOP STOP", "uitstel", "stopt", "Ik wil starten", "aanvraag", "", "   ",
                        "S T O P", "STOP?", "stop, graag"})
    CHECK_MESSAGE(keyword_of(t) == keyword::none, t);
}
