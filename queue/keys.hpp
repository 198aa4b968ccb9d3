#pragma once
// Balie's Redis key layout (the part other tools may read; see README.md).
// Keys of one case share the `{case_id}` hash tag, keys of one inbox the
// `{inbox}` tag, so Redis Cluster can keep each group in one slot.

#include <string>
#include <string_view>

namespace balie::queue::keys {

inline std::string dedup(std::string_view key) { return "balie:dedup:" + std::string(key); }
inline std::string case_hash(std::string_view case_id) { return "balie:case:{" + std::string(case_id) + "}"; }
inline std::string case_messages(std::string_view case_id) { return "balie:case:{" + std::string(case_id) + "}:messages"; }
inline std::string inbox_stream(std::string_view inbox) { return "balie:inbox:{" + std::string(inbox) + "}"; }
inline std::string inbox_cases(std::string_view inbox) { return "balie:inbox:{" + std::string(inbox) + "}:cases"; }
inline std::string reference(std::string_view ref) { return "balie:ref:" + std::string(ref); }
inline constexpr std::string_view inboxes = "balie:inboxes";
inline constexpr std::string_view audit = "balie:audit";
inline constexpr std::string_view staff_group = "staff";

} // namespace balie::queue::keys
