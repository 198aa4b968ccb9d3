#pragma once
// The web chat's fallback transport for networks that strip WebSocket
// upgrades: the conversation as server-sent events (`id:` is the seq, so
// Last-Event-ID resumes), woken like a socket when the conversation moves,
// and admitted and ended like one.

#include "server/http_message.hpp"
#include "queue/chat_store.hpp"

namespace balie::webchat {

class chat_service;

/// A streaming response with every message after `after_seq`, then live ones.
/// It counts as one of `address`'s chat connections, like a socket (`429`
/// beyond the share), and ends when the session does (the client then
/// reconnects, and an extended session carries on).
server::http_response open_chat_events(std::shared_ptr<chat_service>, queue::chat_session, std::string token, std::int64_t after_seq,
                               std::string address);

} // namespace balie::webchat
