#include "sse-bench/template.hpp"

#include <charconv>
#include <optional>

namespace sse::bench {
namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_letter(c) || (c >= '0' && c <= '9') || c == '_'; }

void append_number(std::string& out, uint64_t value) {
  char digits[20];
  auto [end, ignored] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// "{i}, {ch}, {b64:TEXT}": the placeholders in `set`, for messages.
std::string describe(PlaceholderSet set) {
  std::string names;
  auto add = [&](Placeholder p, const char* name) {
    if (set & p) names += std::string(names.empty() ? "" : ", ") + name;
  };
  add(kIndexPlaceholder, "{i}");
  add(kChannelPlaceholder, "{ch}");
  add(kSeqPlaceholder, "{seq}");
  add(kStampPlaceholder, "{stamp}");
  return names + (names.empty() ? "" : ", ") + "{b64:TEXT}";
}

}  // namespace

// Recursive descent over the text: a sequence of text and placeholders, where
// {b64:…} holds a sequence of its own that ends at its balancing '}'.
class Template::Parser {
 public:
  Parser(std::string_view text, PlaceholderSet allowed) : text_(text), allowed_(allowed) {}

  Result<std::vector<Piece>> run() {
    auto pieces = sequence(/*inside_base64=*/false);
    if (error_) return Error::invalid_argument(*error_);
    return pieces;
  }
  PlaceholderSet uses() const { return uses_; }

 private:
  std::vector<Piece> sequence(bool inside_base64) {
    std::vector<Piece> pieces;
    std::string literal;
    int depth = 0;  // literal '{' inside {b64:…} awaiting their '}'
    auto flush = [&] {
      if (!literal.empty()) pieces.push_back({Kind::kText, std::move(literal), {}});
      literal.clear();
    };
    while (pos_ < text_.size() && !error_) {
      const char c = text_[pos_];
      if (c == '{' && pos_ + 1 < text_.size() && is_letter(text_[pos_ + 1])) {
        flush();
        placeholder(pieces);
        continue;
      }
      if (inside_base64 && c == '}' && depth == 0) {
        ++pos_;
        flush();
        return pieces;
      }
      if (inside_base64 && c == '{') ++depth;
      if (inside_base64 && c == '}') --depth;
      literal += c;
      ++pos_;
    }
    if (inside_base64 && !error_) fail("unclosed '{b64:' (no balancing '}')");
    flush();
    return pieces;
  }

  void placeholder(std::vector<Piece>& pieces) {
    const size_t start = pos_++;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    const std::string_view name = text_.substr(start + 1, pos_ - start - 1);
    if (pos_ == text_.size()) {
      return fail("unclosed placeholder '" + std::string(text_.substr(start)) + "'");
    }
    if (text_[pos_] == ':' && name == "b64") {
      ++pos_;
      Piece piece{Kind::kBase64, {}, sequence(/*inside_base64=*/true)};
      pieces.push_back(std::move(piece));
      return;
    }
    if (text_[pos_] != '}') {
      return fail("unknown placeholder '" + std::string(text_.substr(start, pos_ - start + 1)) +
                  "'; known: " + describe(kSubscriberPlaceholders | kPublishPlaceholders));
    }
    ++pos_;
    const auto kind = kind_of(name);
    if (!kind) {
      return fail("unknown placeholder '{" + std::string(name) +
                  "}'; known: " + describe(kSubscriberPlaceholders | kPublishPlaceholders));
    }
    if (!(allowed_ & kind->second)) {
      return fail("'{" + std::string(name) + "}' cannot be used here; this option takes " +
                  describe(allowed_));
    }
    uses_ |= kind->second;
    pieces.push_back({kind->first, {}, {}});
  }

  static std::optional<std::pair<Kind, Placeholder>> kind_of(std::string_view name) {
    if (name == "i") return std::pair{Kind::kIndex, kIndexPlaceholder};
    if (name == "ch") return std::pair{Kind::kChannel, kChannelPlaceholder};
    if (name == "seq") return std::pair{Kind::kSeq, kSeqPlaceholder};
    if (name == "stamp") return std::pair{Kind::kStamp, kStampPlaceholder};
    return std::nullopt;
  }

  void fail(std::string message) {
    if (!error_) error_ = message + " in '" + std::string(text_) + "'";
  }

  std::string_view text_;
  PlaceholderSet allowed_;
  PlaceholderSet uses_ = 0;
  size_t pos_ = 0;
  std::optional<std::string> error_;
};

Result<Template> Template::parse(std::string_view text, PlaceholderSet allowed) {
  Parser parser(text, allowed);
  auto pieces = parser.run();
  if (!pieces) return pieces.error();
  Template result;
  result.text_ = std::string(text);
  result.pieces_ = std::move(*pieces);
  result.uses_ = parser.uses();
  return result;
}

void Template::expand_pieces(const std::vector<Piece>& pieces, std::string& out,
                             const TemplateValues& values) {
  for (const Piece& piece : pieces) {
    switch (piece.kind) {
      case Kind::kText:
        out += piece.text;
        break;
      case Kind::kIndex:
        append_number(out, values.i);
        break;
      case Kind::kChannel:
        append_number(out, values.ch);
        break;
      case Kind::kSeq:
        append_number(out, values.seq);
        break;
      case Kind::kStamp:
        out += values.stamp;
        break;
      case Kind::kBase64: {
        std::string inner;
        expand_pieces(piece.inner, inner, values);
        append_base64(out, inner);
        break;
      }
    }
  }
}

void Template::expand_to(std::string& out, const TemplateValues& values) const {
  expand_pieces(pieces_, out, values);
}

std::string Template::expand(const TemplateValues& values) const {
  std::string out;
  expand_to(out, values);
  return out;
}

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) |
                       (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return;
  uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
  if (rest == 2) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
  out += kAlphabet[(v >> 18) & 63];
  out += kAlphabet[(v >> 12) & 63];
  out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  out += '=';
}

}  // namespace sse::bench
