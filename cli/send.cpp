// ssectl send notification|update|chat|typing|maintenance: one POST each,
// or one per NDJSON line of stdin with --stdin-lines (each line's fields
// override the flags'), all lines checked before the first is sent.

#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "json_util.hpp"
#include "sse/api/contract.hpp"
#include "sse/config/duration.hpp"

namespace sse::cli {
namespace {

namespace f = api::field;

struct SendFlags {
  std::string title, message, type, user;
  std::string entity_type, entity_id, action, data;
  std::string room, starts_at, duration;
  std::string positional_message;
  bool stdin_lines = false;
};

// A body field the endpoint needs, and the flag that sets it.
struct Required {
  const char* field;
  const char* flag;
};

struct Endpoint {
  std::string_view path;
  std::vector<Required> required;
};

void set_if(Poco::JSON::Object& body, const char* key, const std::string& value) {
  if (!value.empty()) body.set(key, value);
}

bool has_text(const Poco::JSON::Object& body, const char* key) {
  return body.has(key) && !body.isNull(key) &&
         !(body.get(key).isString() && body.get(key).extract<std::string>().empty());
}

Poco::Dynamic::Var read_data(Context& ctx, const std::string& spec) {
  std::string text;
  std::string source = "--data";
  if (spec == "-") {
    text = ctx.read_stdin("--data -");
    source = "--data - (stdin)";
  } else if (!spec.empty() && spec.front() == '@') {
    text = read_file_or_fail(spec.substr(1), "the --data file", kExitBadInput);
    source = fmt::format("--data {}", spec);
  } else {
    text = spec;
  }
  auto value = parse_json(text);
  if (!value) {
    fail(kExitBadInput,
         fmt::format("{}: not valid JSON ({}); pass a JSON value", source, value.message()));
  }
  return *value;
}

void print_result(const Context& ctx, const HttpResponse& response) {
  const std::string body = trim_trailing_newlines(response.body);
  switch (ctx.out().format()) {
    case OutputFormat::kRaw:
    case OutputFormat::kJson:
      ctx.out().print(Context::require_json(body, "send"));
      return;
    case OutputFormat::kText: {
      auto object = parse_json_object(body);
      if (!object) fail(kExitProtocol, "send: the server's answer is not a JSON object");
      ctx.out().print(field_text(*object, "id"));
      return;
    }
  }
}

// The bodies to send: the flags' body alone, or merged with each stdin line.
std::vector<Poco::JSON::Object> bodies_for(Context& ctx, const Poco::JSON::Object& base,
                                           const Endpoint& endpoint, bool stdin_lines) {
  std::vector<Poco::JSON::Object> bodies;
  auto check = [&](const Poco::JSON::Object& body, const std::string& where) {
    for (const Required& need : endpoint.required) {
      if (has_text(body, need.field)) continue;
      if (where.empty()) fail(kExitUsage, fmt::format("{} is required", need.flag));
      fail(kExitBadInput,
           fmt::format("{}: field '{}' is missing (or give {})", where, need.field, need.flag));
    }
  };
  if (!stdin_lines) {
    check(base, "");
    bodies.push_back(base);
    return bodies;
  }
  std::istringstream lines(ctx.read_stdin("--stdin-lines"));
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("stdin line {}", number);
    auto object = parse_json_object(line);
    if (!object) {
      fail(kExitBadInput,
           fmt::format("{}: {}; each line must be one JSON object", where, object.message()));
    }
    Poco::JSON::Object body = base;
    for (const auto& [key, value] : **object) body.set(key, value);
    check(body, where);
    bodies.push_back(std::move(body));
  }
  return bodies;
}

int send(Context& ctx, const Endpoint& endpoint, const Poco::JSON::Object& base, bool stdin_lines) {
  const auto bodies = bodies_for(ctx, base, endpoint, stdin_lines);
  HttpClient client = ctx.client();
  for (const auto& body : bodies) {
    std::ostringstream json;
    body.stringify(json);
    auto response = client.post_json(std::string(endpoint.path), json.str());
    if (!response) ctx.fail_request(response.error());
    print_result(ctx, *response);
  }
  return kExitOk;
}

CLI::App* leaf(CLI::App& send_app, const char* name, const char* help, SendFlags& flags) {
  auto* sub = send_app.add_subcommand(name, help);
  sub->add_flag("--stdin-lines", flags.stdin_lines,
                "send one event per NDJSON line of stdin (line fields override flags)");
  return sub;
}

}  // namespace

void add_send_commands(CLI::App& app, Context& ctx) {
  auto* send_app = app.add_subcommand("send", "publish an event");
  send_app->require_subcommand(1);
  auto flags = std::make_shared<SendFlags>();
  SendFlags& f = *flags;

  auto* notification =
      leaf(*send_app, "notification", "send a notification (POST /notifications/send)", f);
  notification->add_option("--title", f.title, "title (required)");
  notification->add_option("--message", f.message, "text (required)");
  notification->add_option("--type", f.type, "info, success, warning, error or system (admin)")
      ->check(CLI::IsMember({"info", "success", "warning", "error", "system"}));
  notification->add_option("--user", f.user, "recipient user id (another user needs admin)")
      ->type_name("ID");
  notification->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      Poco::JSON::Object body;
      set_if(body, f::kTitle, flags->title);
      set_if(body, f::kMessage, flags->message);
      body.set(f::kType, flags->type.empty() ? "info" : flags->type);
      set_if(body, f::kUserId, flags->user);
      return send(ctx, {api::kNotifyPath, {{f::kTitle, "--title"}, {f::kMessage, "--message"}}},
                  body, flags->stdin_lines);
    };
  });

  auto* update = leaf(*send_app, "update", "publish a realtime update (POST /realtime/update)", f);
  update->add_option("--entity-type", f.entity_type, "entity type (required)")->type_name("T");
  update->add_option("--entity-id", f.entity_id, "entity id (required)")->type_name("ID");
  update->add_option("--action", f.action, "create, update, delete or status-change (required)")
      ->type_name("A");
  update->add_option("--data", f.data, "payload: inline JSON, @FILE or - for stdin (default {})")
      ->type_name("JSON");
  update->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      Poco::JSON::Object body;
      set_if(body, f::kEntityType, flags->entity_type);
      set_if(body, f::kEntityId, flags->entity_id);
      set_if(body, f::kAction, flags->action);
      body.set(f::kData, flags->data.empty()
                             ? Poco::Dynamic::Var(Poco::JSON::Object::Ptr(new Poco::JSON::Object))
                             : read_data(ctx, flags->data));
      return send(ctx,
                  {api::kRealtimeUpdatePath,
                   {{f::kEntityType, "--entity-type"},
                    {f::kEntityId, "--entity-id"},
                    {f::kAction, "--action"}}},
                  body, flags->stdin_lines);
    };
  });

  auto* chat = leaf(*send_app, "chat", "send a chat message (POST /chat/send)", f);
  chat->add_option("--room", f.room, "room (required)")->type_name("R");
  chat->add_option("--message", f.message, "the message (or give it as MESSAGE, or - for stdin)");
  chat->add_option("MESSAGE", f.positional_message, "the message; - reads it from stdin");
  chat->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      if (!flags->message.empty() && !flags->positional_message.empty()) {
        fail(kExitUsage, "give the message once: MESSAGE or --message");
      }
      std::string message = flags->message.empty() ? flags->positional_message : flags->message;
      if (message == "-") message = trim_trailing_newlines(ctx.read_stdin("the message (-)"));
      Poco::JSON::Object body;
      set_if(body, f::kRoomId, flags->room);
      set_if(body, f::kMessage, message);
      return send(ctx, {api::kChatSendPath, {{f::kRoomId, "--room"}, {f::kMessage, "MESSAGE"}}},
                  body, flags->stdin_lines);
    };
  });

  auto* typing = leaf(*send_app, "typing", "say you are typing in a room (POST /chat/typing)", f);
  typing->add_option("--room", f.room, "room (required)")->type_name("R");
  typing->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      Poco::JSON::Object body;
      set_if(body, f::kRoomId, flags->room);
      return send(ctx, {api::kChatTypingPath, {{f::kRoomId, "--room"}}}, body, flags->stdin_lines);
    };
  });

  auto* maintenance =
      leaf(*send_app, "maintenance", "announce maintenance, admin (POST /system/maintenance)", f);
  maintenance->add_option("--message", f.message, "announcement (required)");
  maintenance->add_option("--starts-at", f.starts_at, "start, ISO-8601 (2026-01-31T22:00:00Z)")
      ->type_name("TIME");
  maintenance->add_option("--duration", f.duration, "expected length, e.g. 30m")->type_name("DUR");
  maintenance->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      Poco::JSON::Object body;
      set_if(body, f::kMessage, flags->message);
      set_if(body, f::kStartsAt, flags->starts_at);
      if (!flags->duration.empty()) {
        auto duration = parse_duration(flags->duration);
        if (!duration) fail(kExitUsage, fmt::format("--duration: {}", duration.message()));
        body.set(f::kDurationSeconds, static_cast<Poco::Int64>(duration->count() / 1000));
      }
      return send(ctx, {api::kMaintenancePath, {{f::kMessage, "--message"}}}, body,
                  flags->stdin_lines);
    };
  });
}

}  // namespace sse::cli
