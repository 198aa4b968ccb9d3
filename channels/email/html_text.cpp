// A recursive walk with a depth bound: libxml2's parser already limits
// nesting (256 levels unless HTML_PARSE_HUGE), and the walk stops at the same
// depth, so hostile markup cannot exhaust the stack.
#include "channels/email/html_text.hpp"

#include "channels/text.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <cstring>
#include <memory>

namespace balie::email {
namespace {

constexpr int max_depth = 256;

bool is(xmlNode const* n, char const* name) {
  return n->name && xmlStrcasecmp(n->name, reinterpret_cast<xmlChar const*>(name)) == 0;
}

std::string attribute(xmlNode const* n, char const* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<xmlChar const*>(name));
  if (!v) return {};
  std::string out(reinterpret_cast<char const*>(v));
  xmlFree(v);
  return out;
}

bool has_class(xmlNode const* n, std::string_view cls) {
  auto const c = attribute(n, "class");
  std::size_t pos = 0;
  while ((pos = c.find(cls, pos)) != std::string::npos) {
    bool const start = pos == 0 || c[pos - 1] == ' ';
    bool const end = pos + cls.size() == c.size() || c[pos + cls.size()] == ' ';
    if (start && end) return true;
    pos += cls.size();
  }
  return false;
}

bool is_block(xmlNode const* n) {
  static constexpr char const* blocks[] = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "tr",
                                           "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "dl",
                                           "dt", "dd", "center", "form", "fieldset", "body"};
  for (auto const* b : blocks)
    if (is(n, b)) return true;
  return false;
}

class walker {
public:
  std::string take() { return std::move(out_); }

  void walk(xmlNode const* n, int depth) {
    for (; n && !cut_; n = n->next) node(n, depth);
  }

private:
  void newline() {
    if (!out_.empty() && out_.back() != '\n') out_ += '\n';
  }

  void blank_line() {
    newline();
    if (out_.size() >= 2 && out_[out_.size() - 2] != '\n') out_ += '\n';
  }

  void text(std::string_view t, bool pre) {
    for (char c : t) {
      bool const space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
      if (pre) {
        if (c != '\r') out_ += c;  // CRLF in <pre> is one line end
      } else if (space) {
        if (!out_.empty() && out_.back() != ' ' && out_.back() != '\n') out_ += ' ';
      } else {
        out_ += c;
      }
    }
  }

  void node(xmlNode const* n, int depth) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      if (n->content) text(reinterpret_cast<char const*>(n->content), pre_ > 0);
      return;
    }
    if (n->type != XML_ELEMENT_NODE || depth > max_depth) return;
    if (is(n, "head") || is(n, "style") || is(n, "script") || is(n, "title") || is(n, "template") || is(n, "noscript")) return;
    // Quoted history marked in the markup.
    if (has_class(n, "gmail_quote") || has_class(n, "gmail_attr") || has_class(n, "moz-cite-prefix") ||
        (is(n, "blockquote") && attribute(n, "type") == "cite"))
      return;
    auto const id = attribute(n, "id");
    if (id == "divRplyFwdMsg" || id == "appendonsend" || (is(n, "hr") && attribute(n, "tabindex") == "-1")) {
      cut_ = true;  // Outlook: everything from here on is the earlier conversation
      return;
    }
    if (is(n, "br")) return newline();
    if (is(n, "img")) {
      if (auto const alt = attribute(n, "alt"); !alt.empty()) text("[" + alt + "]", false);
      return;
    }
    bool const block = is_block(n);
    bool const spaced = is(n, "p") || is(n, "ul") || is(n, "ol") || is(n, "table") || is(n, "blockquote") || is(n, "pre") ||
                        (n->name && n->name[0] == 'h' && n->name[1] >= '1' && n->name[1] <= '6' && !n->name[2]);
    if (spaced) blank_line();
    else if (block) newline();
    if (is(n, "li")) out_ += "- ";
    if (is(n, "td") || is(n, "th")) {
      if (!out_.empty() && out_.back() != '\n') out_ += " | ";
    }
    if (is(n, "pre")) ++pre_;
    auto const before = out_.size();
    walk(n->children, depth + 1);
    if (is(n, "pre")) --pre_;
    if (is(n, "a")) {
      auto const href = attribute(n, "href");
      auto const shown = std::string_view(out_).substr(before);
      if (!href.empty() && href.rfind("mailto:", 0) != 0 && href.find("javascript:") == std::string::npos &&
          std::string_view(href) != trim(shown))
        out_ += " <" + href + ">";
    }
    if (spaced) blank_line();
    else if (block) newline();
  }

  std::string out_;
  int pre_ = 0;
  bool cut_ = false;
};

} // namespace

std::string html_to_text(std::string_view html) {
  if (html.empty()) return {};
  auto const options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_NOBLANKS;
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", options), xmlFreeDoc);
  if (!doc) return {};
  walker w;
  w.walk(xmlDocGetRootElement(doc.get()), 0);
  return w.take();
}

} // namespace balie::email
