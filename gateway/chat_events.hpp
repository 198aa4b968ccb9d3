#pragma once
// The web chat's fallback transport for networks that strip WebSocket
// upgrades: the conversation as server-sent events (`id:` is the seq, so
// Last-Event-ID resumes), woken like a socket when the conversation moves.

#include "gateway/http_server.hpp"
#include "queue/chat_store.hpp"

namespace balie::gateway {

class chat_service;

/// A streaming response with every message after `after_seq`, then live ones.
http_response open_chat_events(std::shared_ptr<chat_service>, queue::chat_session, std::int64_t after_seq);

} // namespace balie::gateway
