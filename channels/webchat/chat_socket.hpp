#pragma once
// The resident's WebSocket (GET /api/v1/chat/ws). Beast stays inside
// chat_socket.cpp.

#include "server/http_server.hpp"

#include <memory>

namespace balie::webchat {

class chat_service;
/// Takes over an upgrade request: checks path, Origin, the chat's state and
/// the per-address limit (answering 404/403/503/429 over HTTP), then runs
/// the chat protocol on the WebSocket. A frame whose handling throws closes
/// that socket with 1011 and is told to `report`.
void serve_chat_socket(std::shared_ptr<server::upgrade_request>, std::shared_ptr<chat_service>, server::exception_reporter report);

} // namespace balie::webchat
