#pragma once

// Demo tokens (docs/api.md, "Authentication"): standard base64, with padding, of
// "userId:username:email:role1,role2". They are unsigned: anyone can forge one,
// so the server accepts them only while auth.demo_tokens is on.
//
// Reference: "dGVzdDEyMzp0ZXN0dXNlcjp0ZXN0QGV4YW1wbGUuY29tOnVzZXIsYWRtaW4="
//   <-> "test123:testuser:test@example.com:user,admin".

#include <string>
#include <string_view>

#include "sse/auth/identity.hpp"
#include "sse/util/result.hpp"

namespace sse {

// Encodes without checking: call validate_demo_identity() first when the
// identity comes from a user, or the token may not decode back to it.
std::string encode_demo_token(const Identity& identity);

// Decodes a demo token. Fails, naming the problem, when the token is not strict
// base64, the text is not UTF-8 or holds a control character, there are not
// exactly four ':'-separated fields, the user id is empty, or there is no role.
// Spaces around each role are ignored; an empty role ("user,,admin") is an error.
// username and email may be empty. expires_at_ms is always nullopt.
Result<Identity> decode_demo_token(std::string_view token);

// Ok when encode_demo_token(identity) decodes back to exactly `identity`
// (expires_at_ms aside). Errors name the field: an empty user id or no roles,
// ':' in any field, ',' in a role, an empty role or one with surrounding
// spaces, a control character, or text that is not UTF-8.
Status validate_demo_identity(const Identity& identity);

}  // namespace sse
