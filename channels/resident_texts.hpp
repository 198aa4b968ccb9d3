#pragma once
// What Balie writes to residents by itself (acknowledgements, subjects of
// replies), in resource files rather than in code, so a municipality words
// them in its own plain Dutch (B1) without a new build: `<dir>/nl.json` holds
// every text, `<dir>/en.json` may hold an English one per text. A text names
// its variables as `{reference}`; only the ones listed for it are allowed,
// so a typo fails at start-up instead of reaching a resident.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace balie::channels {

class resident_texts {
public:
  /// Reads and checks both files; throws config_error naming the file and the text.
  static resident_texts load(std::filesystem::path const& dir);

  /// The text in `language` ("en"; anything else, or no English text: Dutch), each `{name}` replaced from `values`.
  std::string text(std::string_view key, std::string_view language = "nl", std::map<std::string, std::string, std::less<>> const& values = {}) const;

private:
  std::map<std::string, std::string, std::less<>> nl_, en_;
};

} // namespace balie::channels
