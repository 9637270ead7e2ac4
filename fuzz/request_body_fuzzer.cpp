// Fuzzes how a POST body becomes the strings that reach an SSE stream:
// sse::parse_json_object, sse::FieldReader (what the
// endpoints read), and sse::is_valid_utf8 and sse::json_quote (what they write).
// The input is the body itself, so the seed corpus is plain JSON bodies.
//
// Invariants, each a trap when broken:
// - is_valid_utf8 agrees with a straightforward reference decoder;
// - parse_json_object rejects every body that is not UTF-8, and every error it
//   returns is a 400 whose message is UTF-8 (it goes into a JSON error body);
// - parse_json_object accepts what Poco's parser accepts, but for the rules of
//   its own (a key twice, an integer past 64 bits);
// - every string field of an accepted body is UTF-8 (it is copied into event
//   payloads) and decodes as Poco decodes it, and json_text of every field is
//   one line of JSON that Poco reads as the value it read from the body;
// - json_quote never writes a raw control byte, and for UTF-8 input its output
//   is JSON that Poco parses back to the same string.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "server/json_body.hpp"
#include "sse/util/json.hpp"

#include "fuzz_check.hpp"

namespace {

// RFC 3629, the plain way: decode each sequence, then reject overlongs,
// surrogates and code points past U+10FFFF.
bool reference_is_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code_point;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    const uint32_t smallest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    if (code_point < smallest || code_point > 0x10FFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;
    i += length;
  }
  return true;
}

// Parses `json_value` (one JSON value) with Poco; nullopt if Poco rejects it.
std::optional<Poco::Dynamic::Var> poco_parse_value(const std::string& json_value) {
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var parsed = parser.parse("[" + json_value + "]");
    const auto array = parsed.extract<Poco::JSON::Array::Ptr>();
    if (array->size() != 1) return std::nullopt;
    return array->get(0);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

void check_quote(const std::string& text) {
  const std::string quoted = sse::json_quote(text);
  FUZZ_CHECK(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"');
  for (char c : quoted) {
    const auto byte = static_cast<unsigned char>(c);
    FUZZ_CHECK(byte >= 0x20 && byte != 0x7f);
  }
  if (!sse::is_valid_utf8(text)) return;
  const auto parsed = poco_parse_value(quoted);
  FUZZ_CHECK(parsed && parsed->isString());
  FUZZ_CHECK(parsed->extract<std::string>() == text);
}

// `body` parsed by Poco's own tree builder, keeping key order (quadratic in
// the keys of an object, fine for fuzz inputs); null if Poco refuses it.
Poco::JSON::Object::Ptr poco_ordered_parse(const std::string& body) {
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
    parser.setDepth(32);
    const Poco::Dynamic::Var parsed = parser.parse(body);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return nullptr;
    return parsed.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  }
}

// Poco's condensed rendering of `value` (a Poco value).
std::string condensed(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out);
  return out.str();
}

void check_body(const std::string& body) {
  const auto parsed = sse::parse_json_object(body);
  if (!sse::is_valid_utf8(body)) FUZZ_CHECK(!parsed.ok());
  const Poco::JSON::Object::Ptr reference = poco_ordered_parse(body);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().status == 400);
    FUZZ_CHECK(sse::is_valid_utf8(parsed.error().message));
    // Not stricter than Poco's grammar: what Poco reads and we refuse
    // breaks one of our own rules (Poco keeps the last of two keys, reads
    // integers past 64 bits as other numbers, and takes some bytes that are
    // not UTF-8: a 0xFF after the object reads as its end of input).
    if (!reference.isNull()) {
      const std::string& message = parsed.error().message;
      FUZZ_CHECK(message.find("twice in one object") != std::string::npos ||
                 message.find("does not fit in 64 bits") != std::string::npos ||
                 message == "the body is not valid UTF-8");
    }
    return;
  }
  // Not looser than Poco's grammar either.
  FUZZ_CHECK(!reference.isNull());
  const sse::JsonBody& tree = *parsed;
  for (const auto& member : tree.members()) {
    const std::string& name = member.name;
    FUZZ_CHECK(sse::is_valid_utf8(name));
    // Poco cuts a key at NUL: such a member has no counterpart to compare.
    const bool comparable = name.find('\0') == std::string::npos;
    sse::FieldReader optional_reader(tree);
    sse::FieldReader required_reader(tree);
    const std::optional<std::string> optional = optional_reader.optional_string(name);
    (void)required_reader.required_string(name);
    if (!optional_reader.failed() && optional) {
      FUZZ_CHECK(sse::is_valid_utf8(*optional));
      check_quote(*optional);
      FUZZ_CHECK(required_reader.failed() == optional->empty());
      // Decoded as Poco decodes it.
      if (comparable) {
        FUZZ_CHECK(reference->get(name).isString());
        FUZZ_CHECK(reference->get(name).extract<std::string>() == *optional);
      }
    } else {
      FUZZ_CHECK(required_reader.failed());
    }
    if (required_reader.failed()) {
      FUZZ_CHECK(sse::is_valid_utf8(required_reader.error()->message));
    }
    // Passed on as sent: one line, which Poco reads as the value it read
    // from the body.
    const std::string text = optional_reader.json_text(name);
    FUZZ_CHECK(text.find_first_of("\r\n") == std::string::npos);
    FUZZ_CHECK(sse::is_valid_utf8(text));
    FUZZ_CHECK(poco_parse_value(text).has_value());
    if (comparable) {
      const Poco::JSON::Object::Ptr reread = poco_ordered_parse("{\"v\":" + text + "}");
      FUZZ_CHECK(!reread.isNull());
      FUZZ_CHECK(condensed(reread->get("v")) == condensed(reference->get(name)));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  FUZZ_CHECK(sse::is_valid_utf8(text) == reference_is_utf8(text));
  check_quote(text);
  check_body(text);
  return 0;
}
