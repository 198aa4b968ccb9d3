#pragma once
// Lua shared by Balie's Redis scripts: key names (derived from keys.hpp, the one
// place they are spelled) and
// the steps several scripts take. Scripts derive a case's inbox keys from
// the case hash, so they run on one Redis (with Sentinel for fail-over); a
// Redis Cluster would need the inbox and case keys in one slot first.

#include <string>

namespace balie::queue {

/// The prelude every script starts with (built once): the key names as Lua
/// constants and functions derived from keys.hpp, then the shared steps.
std::string const& lua_prelude();


} // namespace balie::queue
