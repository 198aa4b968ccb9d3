#pragma once
// Balie's Redis key layout (the part other tools may read; see README.md).
// Keys of one case share the `{case_id}` hash tag, keys of one inbox the
// `{inbox}` tag, keys of one outbound channel the `{channel}` tag. This is the
// one place the names are spelled: the Lua prelude (lua_prelude.cpp) derives its own from these.

#include "channels/text.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace balie::queue::keys {

inline std::string dedup(std::string_view key) { return "balie:dedup:" + std::string(key); }
inline std::string case_hash(std::string_view case_id) { return "balie:case:{" + std::string(case_id) + "}"; }
inline std::string case_messages(std::string_view case_id) { return case_hash(case_id) + ":messages"; }
inline std::string case_notes(std::string_view case_id) { return case_hash(case_id) + ":notes"; }
inline std::string case_delivery(std::string_view case_id) { return case_hash(case_id) + ":delivery"; }
inline std::string inbox_stream(std::string_view inbox) { return "balie:inbox:{" + std::string(inbox) + "}"; }
inline std::string inbox_cases(std::string_view inbox) { return inbox_stream(inbox) + ":cases"; }
inline std::string inbox_open(std::string_view inbox) { return inbox_stream(inbox) + ":open"; }
inline std::string inbox_unanswered(std::string_view inbox) { return inbox_stream(inbox) + ":unanswered"; }
/// The inbox's cases past their answer time that no person has acted on yet (set; its size is the overdue metric).
inline std::string inbox_overdue(std::string_view inbox) { return inbox_stream(inbox) + ":overdue"; }
/// The search index: an inbox's cases carrying one token (search/index_terms.hpp), by their newest message with it.
inline std::string search_token(std::string_view inbox, std::string_view token) { return inbox_stream(inbox) + ":search:" + std::string(token); }
inline std::string outbound(std::string_view channel) { return "balie:out:{" + std::string(channel) + "}"; }
/// Mail to an inbox's team about a case that waits too long, sent like a reply (channels/email/team_notices.hpp).
inline constexpr std::string_view team_notices = "team";
/// A staff member's cases: proposed to them or claimed by them (stale entries are dropped when counted).
inline std::string staff_cases(std::string_view name) { return "balie:staff:{" + std::string(name) + "}:cases"; }
/// Staff marked available for new cases: name → since (ms).
inline constexpr std::string_view staff_available = "balie:staff:available";
/// An inbox's round-robin turn.
inline std::string inbox_turn(std::string_view inbox) { return inbox_stream(inbox) + ":turn"; }
inline std::string dead_letters(std::string_view channel) { return "balie:dead:{" + std::string(channel) + "}"; }
/// The one pass that indexes cases stored before the search index existed: its lock, and the mark that it is done.
inline constexpr std::string_view search_backfill_lock = "balie:search:backfill";
inline constexpr std::string_view search_backfilled = "balie:search:backfilled";
/// The search tokens a case carries (set): where its index entries are, to move or remove them.
inline std::string case_terms(std::string_view case_id) { return case_hash(case_id) + ":terms"; }
inline std::string case_participants(std::string_view case_id) { return case_hash(case_id) + ":participants"; }
/// The stored files the case's messages were counted for in `files` (list, one item per count).
inline std::string case_files(std::string_view case_id) { return case_hash(case_id) + ":files"; }
/// Where the case's entries are in shared streams (set of "<stream key> <entry id>": inbox, outbound, dead letters).
inline std::string case_entries(std::string_view case_id) { return case_hash(case_id) + ":entries"; }
/// Threading keys that may point at the case (reply token, Message-IDs, recent SMS and messenger ids): removed with it.
inline std::string case_threads(std::string_view case_id) { return case_hash(case_id) + ":threads"; }
/// The hand-over to Open Klant (hash): per message the klantcontact uuid, its betrokkene, and `done`.
inline std::string case_handover(std::string_view case_id) { return case_hash(case_id) + ":openklant"; }
/// The outbox of the hand-over to Open Klant: one entry per close of a case.
inline constexpr std::string_view handover_channel = "openklant";
/// Closed cases by the moment their retention term ends (ms); a case under legal hold is not in it.
inline constexpr std::string_view retention = "balie:retention";
/// Stored files (attachments, original mails) by sha256 → how many stored messages refer to them.
inline constexpr std::string_view files = "balie:files";
/// Files no message refers to any more, by when that happened (ms): the destruction job removes them from disk.
inline constexpr std::string_view files_orphaned = "balie:files:orphaned";
/// The destruction list (stream): reference, inbox, class, closed and destroyed dates, who chose the class; no contents.
inline constexpr std::string_view destroyed = "balie:destroyed";
/// A destroyed case's reference: kept so a `BL-` reference is never given out again.
inline constexpr std::string_view reference_tombstone = "destroyed";
/// One destruction job at a time, across instances (expires, so a dead instance's turn passes).
inline constexpr std::string_view destruction_lock = "balie:destruction:lock";
/// The one pass that brings cases stored before retention existed up to date: its lock, and the mark that it is done.
inline constexpr std::string_view privacy_backfill_lock = "balie:privacy:backfill";
inline constexpr std::string_view privacy_backfilled = "balie:privacy:backfilled";
/// How long a reply token and a Message-ID keep finding their case: residents answer after months.
inline constexpr std::chrono::seconds thread_index_ttl{400 * 24 * 3600};
/// An IMAP mailbox's cursor: uidvalidity, last_uid.
inline std::string email_imap_cursor(std::string_view mailbox) { return "balie:email:imap:{" + std::string(mailbox) + "}"; }
/// Email threading: a case's reply token, and any Message-ID Balie sent or received (hashed: ids are long and untrusted).
inline std::string email_token(std::string_view token) { return "balie:email:token:" + std::string(token); }
inline std::string email_message(std::string_view message_id) { return "balie:email:msgid:" + sha256_hex(message_id); }
/// The loop guard: automatic mails sent to one address in the current period.
inline std::string email_automatic(std::string_view address) { return "balie:email:auto:" + sha256_hex(address); }
/// A web-chat conversation (hash; its log adds ":log") and a chat session by its token's hash.
inline std::string chat_conversation(std::string_view id) { return "balie:chat:{" + std::string(id) + "}"; }
inline std::string chat_session(std::string_view token_hash) { return "balie:chat:session:" + std::string(token_hash); }
inline std::string reference(std::string_view ref) { return "balie:ref:" + std::string(ref); }
inline constexpr std::string_view inboxes = "balie:inboxes";
/// Claimed cases by the time their claim expires.
inline constexpr std::string_view claims = "balie:claims";
inline constexpr std::string_view audit = "balie:audit";
/// The watchdog's list: each case with a promise to a resident that no person has acted on, scored by
/// when it is due (its answer-by time, then, once overdue, the time it is reported).
inline constexpr std::string_view watch = "balie:watch";
inline constexpr std::string_view events = "balie:events";
/// Each channel's switch (JSON per field), the one source of truth for every instance.
inline constexpr std::string_view channels = "balie:channels";
/// Every switch change, oldest first: when a channel was unavailable, who switched it and why.
inline constexpr std::string_view channel_history = "balie:channels:history";
/// The routing rules in force (hash: document, version, by, at, reason), the one source of truth for every instance.
inline constexpr std::string_view routing = "balie:routing";
/// Every rule set that was put in force, oldest first, with who and why: what was in force when, and to go back.
inline constexpr std::string_view routing_history = "balie:routing:history";
/// Saved replies (hash: id → JSON), shared by every instance; and the mark that the shipped examples were added once.
inline constexpr std::string_view saved_replies = "balie:replies";
inline constexpr std::string_view saved_replies_seeded = "balie:replies:seeded";
inline constexpr std::string_view sms_opt_out = "balie:sms:opt-out";
/// SMS and messenger threading: the case an address (an E.164 number, a Matrix ID; hashed: no addresses in key
/// names) last took part in; expires with the window.
inline std::string sms_recent(std::string_view number) { return "balie:sms:recent:" + sha256_hex(number); }
/// The loop guard for SMS Balie sends by itself (acknowledgements, notices, confirmations) to one number.
inline std::string sms_automatic(std::string_view number) { return "balie:sms:auto:" + sha256_hex(number); }
/// A signed webhook's one-time id (MessageBird's jti), kept for its replay window.
inline std::string sms_replay(std::string_view key) { return "balie:sms:replay:" + sha256_hex(key); }
/// Messenger: when a resident last wrote (ms), per address (hashed): WhatsApp's 24-hour window.
inline std::string messenger_last_inbound(std::string_view address) { return "balie:messenger:last-in:" + sha256_hex(address); }
/// Messenger: the address was sent the privacy notice (its first contact).
inline std::string messenger_noticed(std::string_view address) { return "balie:messenger:noticed:" + sha256_hex(address); }
/// Messenger: a sent message's platform id (Matrix event) → "<case id> <message id>", for receipts.
inline std::string messenger_sent(std::string_view platform_id) { return "balie:messenger:sent:" + sha256_hex(platform_id); }
/// Matrix: the room a resident last wrote from, where replies go.
inline std::string matrix_room(std::string_view user) { return "balie:matrix:room:" + sha256_hex(user); }
/// Matrix: a transaction the homeserver pushed and Balie completed.
inline std::string matrix_transaction(std::string_view txn) { return "balie:matrix:txn:" + sha256_hex(txn); }
inline constexpr std::string_view staff_group = "staff";
inline constexpr std::string_view senders_group = "senders";

} // namespace balie::queue::keys
