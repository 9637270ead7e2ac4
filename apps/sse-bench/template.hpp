#pragma once

// Templates: the text of --url, --header, --publish-url, --publish-header and
// --body, with placeholders filled in per connection or per publish.
//
//   {i}          the subscriber's number, 0..N-1
//   {ch}         the channel: i % channels for a subscriber, the picked
//                channel for a publish
//   {seq}        the publish's number, 0.. over the whole run
//   {stamp}      the delivery stamp, sb:<ch>:<cseq>:<send_ns> (stamp.hpp)
//   {b64:TEXT}   standard, padded base64 of TEXT, placeholders in TEXT
//                expanded first
//
// A '{' followed by an ASCII letter opens a placeholder; any other brace is
// text, so JSON bodies need no escaping. Inside {b64:…} a literal '{' must be
// balanced by a '}' (a JSON object inside base64 works).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sse/util/result.hpp"

namespace sse::bench {

// The placeholders a kind of template may use, as a bit set.
enum Placeholder : uint8_t {
  kIndexPlaceholder = 1 << 0,    // {i}
  kChannelPlaceholder = 1 << 1,  // {ch}
  kSeqPlaceholder = 1 << 2,      // {seq}
  kStampPlaceholder = 1 << 3,    // {stamp}
};
using PlaceholderSet = uint8_t;

// Subscriber templates (--url, --header): {i}, {ch}, {b64:…}.
inline constexpr PlaceholderSet kSubscriberPlaceholders = kIndexPlaceholder | kChannelPlaceholder;
// Publish templates (--publish-url, --publish-header, --body): {ch}, {seq},
// {stamp}, {b64:…}.
inline constexpr PlaceholderSet kPublishPlaceholders =
    kChannelPlaceholder | kSeqPlaceholder | kStampPlaceholder;

// What the placeholders stand for in one expansion. `stamp` is only read when
// the template uses {stamp}; the view must outlive the call.
struct TemplateValues {
  uint64_t i = 0;
  uint64_t ch = 0;
  uint64_t seq = 0;
  std::string_view stamp;
};

// A parsed template. Parsing checks everything once, so expanding cannot fail.
// Copyable value; expand_to is const and safe to call from several threads.
class Template {
 public:
  Template() = default;  // the empty text

  // Parses `text`. An unknown placeholder, one not in `allowed`, or an
  // unclosed one is an error whose message quotes it and the text.
  static Result<Template> parse(std::string_view text, PlaceholderSet allowed);

  // Appends the expansion to `out` (does not clear it).
  void expand_to(std::string& out, const TemplateValues& values) const;
  std::string expand(const TemplateValues& values) const;

  // The placeholders used, {b64:…} contents included.
  PlaceholderSet uses() const { return uses_; }
  const std::string& text() const { return text_; }

 private:
  enum class Kind : uint8_t { kText, kIndex, kChannel, kSeq, kStamp, kBase64 };
  struct Piece {
    Kind kind = Kind::kText;
    std::string text;          // kText
    std::vector<Piece> inner;  // kBase64: what is encoded
  };
  class Parser;
  static void expand_pieces(const std::vector<Piece>& pieces, std::string& out,
                            const TemplateValues& values);

  std::string text_;
  std::vector<Piece> pieces_;
  PlaceholderSet uses_ = 0;
};

// Standard base64 (RFC 4648 section 4) with '=' padding, appended to `out`.
void append_base64(std::string& out, std::string_view bytes);

}  // namespace sse::bench
