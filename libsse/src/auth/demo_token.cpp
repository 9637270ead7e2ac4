#include "sse/auth/demo_token.hpp"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>
#include <fmt/format.h>

namespace sse {
namespace {

constexpr char kFieldSeparator = ':';
constexpr char kRoleSeparator = ',';
constexpr size_t kFieldCount = 4;  // userId:username:email:roles

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

bool has_control(std::string_view text) {
  for (char c : text) {
    if (is_control(c)) return true;
  }
  return false;
}

bool is_utf8(const std::string& text) {
  Poco::UTF8Encoding utf8;
  Poco::TextIterator it(text, utf8);
  const Poco::TextIterator end(text);
  for (; it != end; ++it) {
    if (*it < 0) return false;  // an illegal or truncated sequence
  }
  return true;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// RFC 4648 section 4, strictly: whole 4-char groups, '=' only as the final one
// or two characters. Poco's decoder alone would skip whitespace and stop at junk.
bool is_padded_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!is_base64_char(text[i])) return false;
  }
  return true;
}

std::string base64_decode(std::string_view text) {
  std::istringstream in{std::string(text)};
  Poco::Base64Decoder decoder(in);
  return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t pos = text.find(separator); pos != std::string_view::npos;
       pos = text.find(separator, start)) {
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

Status check_text_field(std::string_view name, const std::string& value) {
  if (value.find(kFieldSeparator) != std::string::npos) {
    return Error::invalid_argument(fmt::format("{} may not contain ':'", name));
  }
  if (has_control(value)) return Error::invalid_argument(fmt::format("{} contains a control character", name));
  if (!is_utf8(value)) return Error::invalid_argument(fmt::format("{} is not valid UTF-8", name));
  return {};
}

}  // namespace

std::string encode_demo_token(const Identity& identity) {
  std::string text = identity.user_id + kFieldSeparator + identity.username + kFieldSeparator +
                     identity.email + kFieldSeparator;
  for (size_t i = 0; i < identity.roles.size(); ++i) {
    if (i > 0) text += kRoleSeparator;
    text += identity.roles[i];
  }
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);  // Poco wraps at 72 characters by default
  encoder << text;
  encoder.close();
  return out.str();
}

Result<Identity> decode_demo_token(std::string_view token) {
  if (token.empty()) return Error::invalid_argument("demo token is empty");
  if (!is_padded_base64(token)) return Error::invalid_argument("demo token is not valid base64");
  const std::string text = base64_decode(token);
  if (has_control(text)) return Error::invalid_argument("demo token contains a control character");
  if (!is_utf8(text)) return Error::invalid_argument("demo token is not valid UTF-8");

  const std::vector<std::string_view> fields = split(text, kFieldSeparator);
  if (fields.size() != kFieldCount) {
    return Error::invalid_argument(fmt::format(
        "demo token must hold 4 ':'-separated fields (userId:username:email:roles), found {}",
        fields.size()));
  }
  Identity identity;
  identity.user_id = fields[0];
  identity.username = fields[1];
  identity.email = fields[2];
  if (identity.user_id.empty()) return Error::invalid_argument("demo token has an empty user id");
  if (trim_spaces(fields[3]).empty()) return Error::invalid_argument("demo token has no roles");
  for (std::string_view role : split(fields[3], kRoleSeparator)) {
    role = trim_spaces(role);
    if (role.empty()) return Error::invalid_argument("demo token has an empty role (check the commas)");
    identity.roles.emplace_back(role);
  }
  return identity;
}

Status validate_demo_identity(const Identity& identity) {
  if (identity.user_id.empty()) return Error::invalid_argument("user id is empty");
  if (Status s = check_text_field("user id", identity.user_id); !s) return s;
  if (Status s = check_text_field("username", identity.username); !s) return s;
  if (Status s = check_text_field("email", identity.email); !s) return s;
  if (identity.roles.empty()) return Error::invalid_argument("a demo token needs at least one role");
  for (const std::string& role : identity.roles) {
    if (role.empty()) return Error::invalid_argument("a role is empty");
    if (Status s = check_text_field("role", role); !s) return s;
    if (role.find(kRoleSeparator) != std::string::npos) {
      return Error::invalid_argument(fmt::format("role '{}' may not contain ','", role));
    }
    if (role != trim_spaces(role)) {
      return Error::invalid_argument(fmt::format("role '{}' has leading or trailing spaces", role));
    }
  }
  return {};
}

}  // namespace sse
