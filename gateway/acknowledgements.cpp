#include "gateway/acknowledgements.hpp"

#include "calendar/dutch_dates.hpp"

namespace balie::gateway {

channels::acknowledgement_writer acknowledgement_writer_for(std::shared_ptr<channels::resident_texts const> texts) {
  return [texts](channels::acknowledgement_request const& r) {
    bool const letter = r.form == channels::acknowledgement_form::letter;
    std::string const prefix = letter ? "acknowledgement." : "acknowledgement.short.";
    std::string situation;
    if (r.switched_off_notice) situation = texts->text(prefix + "situation.switched_off", r.language, {{"notice", *r.switched_off_notice}});
    else if (r.outside_hours) situation = texts->text(prefix + "situation.outside_hours", r.language);
    // Channels acknowledge only a message with a promise; without one the day stays empty rather than made up.
    auto const answer_by = r.answer_by ? calendar::format_day(*r.answer_by, r.language) : std::string{};
    channels::acknowledgement_text out;
    out.text = texts->text(letter ? "acknowledgement.letter" : "acknowledgement.short", r.language,
                           {{"reference", r.reference}, {"answer_by", answer_by}, {"situation", situation},
                            {"human_route", texts->text(letter ? "contact.human_route" : "contact.human_route.short", r.language)}});
    if (letter) out.subject = texts->text("acknowledgement.subject", r.language, {{"reference", r.reference}});
    out.rule = r.switched_off_notice ? "switched-off-notice" : "acknowledgement";
    return out;
  };
}

} // namespace balie::gateway
