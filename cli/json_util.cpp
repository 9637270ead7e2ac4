#include "json_util.hpp"

#include <sstream>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

namespace sse::cli {

Result<Poco::Dynamic::Var> parse_json(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text);
  } catch (const Poco::Exception& e) {
    return Error::invalid_argument(e.message().empty() ? e.displayText() : e.message());
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
