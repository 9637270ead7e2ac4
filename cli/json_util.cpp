#include "json_util.hpp"

#include <optional>
#include <sstream>

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

namespace sse::cli {
namespace {

// RFC 8259 section 2: a JSON text is any value, "42" and "null" included.
// Poco 1.11's ParseHandler keeps values on a stack of open containers and
// throws "Attempt to set value on an empty stack" for a top-level scalar
// (the parser itself accepts it). This handler keeps such a scalar itself and
// leaves containers to ParseHandler, so the parser's errors still describe
// the caller's text, not a wrapped copy of it.
class AnyValueHandler final : public Poco::JSON::ParseHandler {
 public:
  void reset() override {
    ParseHandler::reset();
    depth_ = 0;
    scalar_.reset();
  }
  void startObject() override {
    ++depth_;
    ParseHandler::startObject();
  }
  void endObject() override {
    --depth_;
    ParseHandler::endObject();
  }
  void startArray() override {
    ++depth_;
    ParseHandler::startArray();
  }
  void endArray() override {
    --depth_;
    ParseHandler::endArray();
  }
  void value(int v) override { scalar(v); }
  void value(unsigned v) override { scalar(v); }
  void value(Poco::Int64 v) override { scalar(v); }
  void value(Poco::UInt64 v) override { scalar(v); }
  void value(const std::string& v) override { scalar(v); }
  void value(double v) override { scalar(v); }
  void value(bool v) override { scalar(v); }
  void null() override {
    if (depth_ > 0) return ParseHandler::null();
    scalar_ = Poco::Dynamic::Var();  // an empty Var is Poco's JSON null
  }
  Poco::Dynamic::Var asVar() const override { return scalar_ ? *scalar_ : ParseHandler::asVar(); }

 private:
  template <typename T>
  void scalar(const T& v) {
    if (depth_ > 0) return ParseHandler::value(v);
    scalar_ = Poco::Dynamic::Var(v);
  }

  int depth_ = 0;
  std::optional<Poco::Dynamic::Var> scalar_;
};

// The parser's message; it names the end of the text as the byte '\xff'
// ("expected 'e' instead of byte '\xff'" for "tru"), said here as "end of text"
// unless the text really has that byte.
std::string parser_complaint(const Poco::Exception& e, const std::string& text) {
  std::string message = e.message().empty() ? e.displayText() : e.message();
  const std::string eof_byte = "byte '\xff'";
  const size_t at = message.find(eof_byte);
  if (at != std::string::npos && text.find('\xff') == std::string::npos) {
    message.replace(at, eof_byte.size(), "end of text");
  }
  return message;
}

}  // namespace

Result<Poco::Dynamic::Var> parse_json(const std::string& text) {
  try {
    Poco::JSON::Parser parser(new AnyValueHandler);
    return parser.parse(text);
  } catch (const Poco::Exception& e) {
    return Error::invalid_argument(parser_complaint(e, text));
  } catch (const std::exception& e) {
    return Error::invalid_argument(e.what());
  }
}

Result<Poco::JSON::Object::Ptr> parse_json_object(const std::string& text) {
  auto value = parse_json(text);
  if (!value) return value.error();
  if (value->type() != typeid(Poco::JSON::Object::Ptr)) {
    return Error::invalid_argument("not a JSON object");
  }
  auto object = value->extract<Poco::JSON::Object::Ptr>();
  if (object.isNull()) return Error::invalid_argument("not a JSON object");
  return object;
}

std::string to_json(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out, 0, -1);
  return out.str();
}

std::string field_text(const Poco::JSON::Object::Ptr& object, const std::string& key) {
  if (!object || !object->has(key) || object->isNull(key)) return "";
  try {
    return object->get(key).convert<std::string>();
  } catch (const std::exception&) {
    return to_json(object->get(key));
  }
}

}  // namespace sse::cli
