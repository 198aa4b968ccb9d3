#include "gateway/channel_registry.hpp"

#include "channels/email/email_channel.hpp"
#include "channels/messenger/messenger_channel.hpp"
#include "channels/phone/phone_channel.hpp"
#include "channels/sms/sms_channel.hpp"
#include "channels/webchat/webchat_channel.hpp"

namespace balie::gateway {

namespace {
/// One entry: the module built from its section, and how to read that section again.
template <class Module, class Section>
channel_slot slot(config const& c, channels::channel_services& s, Section config::*section) {
  auto module = std::make_shared<Module>(c.*section, s);
  return {module, [section](config const& fresh) { return (fresh.*section).enabled; },
          [module, section](config& fresh) { fresh.*section = module->reconfigure(fresh.*section); }};
}
} // namespace

std::vector<channel_slot> register_builtin_channels(config const& c, channels::channel_services& s) {
  std::vector<channel_slot> out;
  out.push_back(slot<channels::phone::phone_channel>(c, s, &config::phone));
  if (!c.email.domain.empty()) out.push_back(slot<email::email_channel>(c, s, &config::email));  // email needs its section
  out.push_back(slot<webchat::webchat_channel>(c, s, &config::webchat));
  if (!c.sms.providers.empty()) out.push_back(slot<sms::sms_channel>(c, s, &config::sms));  // SMS needs its section
  if (c.messenger.whatsapp.configured || c.messenger.matrix.configured)  // the messenger needs its section
    out.push_back(slot<messenger::messenger_channel>(c, s, &config::messenger));
  return out;
}

channels::reply_checks builtin_reply_checks(std::vector<channel_slot> const& slots, config const& c, channels::channel_services& s) {
  channels::reply_checks out;
  for (auto const& slot : slots) out.emplace(slot.module->name(), slot.module);
  out.try_emplace("sms", std::make_shared<sms::sms_reply_check>(c.staff.sms_max_segments, c.sms.allow_links, queue::sms_numbers(s.redis)));
  return out;
}

} // namespace balie::gateway
