// The transcript endpoint: checks the size, reads the format
// from Content-Type and the call's metadata from Balie-* headers, and
// answers 202 only once the message is durable (200 for a call already
// stored). The spool does the same for files. The admin's switch does not
// apply here: switching phone off concerns new calls, and a transcript is the
// record of a call that already happened — refusing it would lose what a
// resident said.
#include "channels/phone/phone_channel.hpp"

#include "channels/phone/intake.hpp"
#include "channels/phone/spool.hpp"
#include "channels/text.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/problem.hpp"

namespace balie::channels::phone {
using namespace server;

phone_channel::phone_channel(phone_config settings, channel_services& s)
    : settings_(std::move(settings)), max_transcript_bytes_(settings_.max_transcript_bytes), services_(s), sink_(s.sink, s) {}

phone_channel::~phone_channel() = default;

std::vector<http_route> phone_channel::routes() {
  return {{"POST", "/api/v1/transcripts", access::system,
           [this](http_request const& q, route_params const&, http_responder r) { post_transcript(q, std::move(r)); }}};
}

void phone_channel::start() {
  if (!settings_.enabled || settings_.spool_dir.empty()) return;
  spool_ = std::make_shared<transcript_spool>(
      services_.file_work, spool_options{settings_.spool_dir, settings_.spool_poll, settings_.max_transcript_bytes}, sink_,
      services_.clock, services_.ids, [](std::string_view event, std::string_view file, std::string_view detail) {
        log::write(event == "phone.spool.deferred" || event == "phone.spool.rejected" ? log_level::warn : log_level::info, event,
                   {{"channel", "phone"}, {"file", file}, {"detail", detail}});
      });
  spool_->start();
}

void phone_channel::stop_accepting() {
  if (spool_) spool_->stop();
}

phone_config phone_channel::reconfigure(phone_config const& fresh) {
  max_transcript_bytes_ = fresh.max_transcript_bytes;
  if (fresh.spool_dir != settings_.spool_dir || fresh.spool_poll != settings_.spool_poll)
    log::warn("reload.needs_restart", {{"sections", "channels.phone.spool"}});
  auto running = fresh;
  running.spool_dir = settings_.spool_dir;
  running.spool_poll = settings_.spool_poll;
  return running;
}

void phone_channel::post_transcript(http_request const& req, http_responder respond) {
  auto const provider = std::string("transcript-api");
  auto refuse = [&](rejection const& r) {
    services_.stats.rejected("phone", provider, r.type);
    respond(problem(r));
  };
  auto const max_bytes = max_transcript_bytes_.load();
  if (req.body.size() > max_bytes)
    return refuse(reject(413, "body-too-large", "A transcript may be at most " + std::to_string(max_bytes) + " bytes."));
  auto const format = format_from_content_type(req.header("content-type"));
  if (!format) return refuse(format.error());

  call_metadata meta;
  if (auto v = req.header("balie-call-id"); !v.empty()) meta.call_id = std::string(trim(v));
  if (auto v = req.header("balie-caller-number"); !v.empty()) meta.caller_number = v;
  if (auto v = req.header("balie-relay-service"); !v.empty()) meta.relay_service = std::string(trim(v));
  if (auto v = req.header("balie-call-started"); !v.empty()) {
    meta.started_at = parse_rfc3339(trim(v));
    if (!meta.started_at)
      return refuse(reject(400, "invalid-header", "Balie-Call-Started must be an RFC 3339 timestamp.", "Balie-Call-Started"));
  }
  if (auto v = ascii_lower(trim(req.header("balie-callback-requested"))); !v.empty()) {
    if (v != "true" && v != "false")
      return refuse(reject(400, "invalid-header", "Balie-Callback-Requested must be true or false.", "Balie-Callback-Requested"));
    meta.callback_requested = v == "true";
  }

  auto submission = read_transcript(*format, req.body, meta, normalise_context{services_.clock(), services_.ids, provider});
  if (!submission) return refuse(submission.error());
  if (auto tp = req.header("traceparent"); tp.size() == 55 && tp[2] == '-') submission->message.traceparent = tp;

  sink_.submit(std::move(submission->message), std::move(submission->dedup_key),
                        [respond](boost::system::error_code ec, submit_result const& r) {
                          if (ec)
                            return respond(unavailable("temporarily-unavailable",
                                                       "The transcript could not be stored safely right now. Send it again in a moment."));
                          bool const dup = r.status == submit_status::duplicate;
                          respond(json_response(dup ? 200 : 202, {{"id", r.message_id},
                                                                  {"case_id", r.case_id},
                                                                  {"reference", r.reference},
                                                                  {"inbox", r.inbox},
                                                                  {"duplicate", dup}}));
                        });
}

} // namespace balie::channels::phone
