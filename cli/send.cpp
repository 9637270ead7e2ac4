// ssectl send notification|update|chat|typing|maintenance: one POST each,
// or one per NDJSON line of stdin with --stdin-lines (each line's fields
// override the flags'), all lines checked before the first is sent. With
// --retry N each POST gets N more attempts after a 429, 503 or a refused
// connection (send_retry.hpp).

#include <algorithm>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "json_util.hpp"
#include "send_retry.hpp"
#include "sse/api/contract.hpp"
#include "sse/config/duration.hpp"

namespace sse::cli {
namespace {

namespace f = api::field;

struct SendFlags {
  std::string title, message, type, user;
  std::string entity_type, entity_id, action;
  std::optional<std::string> data;  // nullopt: no --data, send {}
  std::string room, starts_at, duration;
  std::string positional_message;
  bool stdin_lines = false;
  int retry = 0;
};

// A body field the endpoint needs, and the flag that sets it.
struct Required {
  const char* field;
  const char* flag;
};

// What the server reads from a body (publish_endpoints.cpp); a stdin line
// with any other field is refused, since the server would ignore it.
struct Endpoint {
  std::string_view command;  // "chat": for messages
  std::string_view path;
  std::vector<Required> required;
  std::vector<const char*> fields;
};

void set_if(Poco::JSON::Object& body, const char* key, const std::string& value) {
  if (!value.empty()) body.set(key, value);
}

bool has_text(const Poco::JSON::Object& body, const char* key) {
  return body.has(key) && !body.isNull(key) &&
         !(body.get(key).isString() && body.get(key).extract<std::string>().empty());
}

bool is_blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
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
  if (is_blank(text)) fail(kExitBadInput, fmt::format("{} is empty; pass a JSON value", source));
  auto value = parse_json(text);
  if (!value) {
    fail(kExitBadInput,
         fmt::format("{}: not valid JSON ({}); pass a JSON value", source, value.message()));
  }
  return *value;
}

// --message: "@FILE" reads FILE (trailing line ends dropped), "@@text" is the
// literal "@text", anything else is the message itself.
std::string message_from_flag(const std::string& flag) {
  if (flag.empty() || flag.front() != '@') return flag;
  if (flag.compare(0, 2, "@@") == 0) return flag.substr(1);
  const std::string path = flag.substr(1);
  std::string text = read_file_or_fail(path, "the --message file", kExitBadInput);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) fail(kExitBadInput, fmt::format("the --message file '{}' is empty", path));
  return text;
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

struct Body {
  Poco::JSON::Object json;
  std::string where;  // "stdin line 3", or "" for the flags' body
};

// The bodies to send: the flags' body alone, or merged with each stdin line.
std::vector<Body> bodies_for(Context& ctx, const Poco::JSON::Object& base, const Endpoint& endpoint,
                             bool stdin_lines) {
  std::vector<Body> bodies;
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
    bodies.push_back({base, ""});
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
    for (const auto& [key, value] : **object) {
      const auto& known = endpoint.fields;
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        fail(kExitBadInput, fmt::format("{}: unknown field '{}'; send {} takes {}", where, key,
                                        endpoint.command, fmt::join(known, ", ")));
      }
      body.set(key, value);
    }
    check(body, where);
    bodies.push_back({std::move(body), where});
  }
  return bodies;
}

int send(Context& ctx, const Endpoint& endpoint, const Poco::JSON::Object& base,
         const SendFlags& flags) {
  const auto bodies = bodies_for(ctx, base, endpoint, flags.stdin_lines);
  HttpClient client = ctx.client();
  RealSleeper sleeper;
  for (const Body& body : bodies) {
    std::ostringstream json;
    body.json.stringify(json);
    const RetryPlan plan{flags.retry, body.where};  // each stdin line gets its own retries
    auto response =
        post_with_retries(client, std::string(endpoint.path), json.str(), plan, ctx.out(), sleeper);
    if (!response) ctx.fail_request(response.error());
    print_result(ctx, *response);
  }
  return kExitOk;
}

CLI::App* leaf(CLI::App& send_app, const char* name, const char* help, SendFlags& flags) {
  auto* sub = send_app.add_subcommand(name, help);
  sub->add_flag("--stdin-lines", flags.stdin_lines,
                "send one event per NDJSON line of stdin (line fields override flags)");
  sub->add_option("--retry", flags.retry,
                  "after a 429, 503 or refused connection try up to N more times (backoff from "
                  "1 s, at least Retry-After; default 0). A timeout is not retried: the server "
                  "may have the event")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
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
  notification->add_option("--message", f.message,
                           "text (required); @FILE reads it from FILE, @@text is the text @text");
  notification->add_option("--type", f.type, "info, success, warning, error or system (admin)")
      ->check(CLI::IsMember({"info", "success", "warning", "error", "system"}));
  notification->add_option("--user", f.user, "recipient user id (another user needs admin)")
      ->type_name("ID");
  notification->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      Poco::JSON::Object body;
      set_if(body, f::kTitle, flags->title);
      set_if(body, f::kMessage, message_from_flag(flags->message));
      body.set(f::kType, flags->type.empty() ? "info" : flags->type);
      set_if(body, f::kUserId, flags->user);
      return send(ctx,
                  {"notification",
                   api::kNotifyPath,
                   {{f::kTitle, "--title"}, {f::kMessage, "--message"}},
                   {f::kTitle, f::kMessage, f::kType, f::kUserId}},
                  body, *flags);
    };
  });

  auto* update = leaf(*send_app, "update", "publish a realtime update (POST /realtime/update)", f);
  update->add_option("--entity-type", f.entity_type, "entity type (required)")->type_name("T");
  update->add_option("--entity-id", f.entity_id, "entity id (required)")->type_name("ID");
  update->add_option("--action", f.action, "create, update, delete or status-change (required)")
      ->type_name("A");
  update
      ->add_option("--data", f.data,
                   "payload, any JSON value: inline, @FILE or - for stdin (default {})")
      ->type_name("JSON");
  update->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      Poco::JSON::Object body;
      set_if(body, f::kEntityType, flags->entity_type);
      set_if(body, f::kEntityId, flags->entity_id);
      set_if(body, f::kAction, flags->action);
      body.set(f::kData, flags->data
                             ? read_data(ctx, *flags->data)
                             : Poco::Dynamic::Var(Poco::JSON::Object::Ptr(new Poco::JSON::Object)));
      return send(ctx,
                  {"update",
                   api::kRealtimeUpdatePath,
                   {{f::kEntityType, "--entity-type"},
                    {f::kEntityId, "--entity-id"},
                    {f::kAction, "--action"}},
                   {f::kEntityType, f::kEntityId, f::kAction, f::kData}},
                  body, *flags);
    };
  });

  auto* chat = leaf(*send_app, "chat", "send a chat message (POST /chat/send)", f);
  chat->add_option("--room", f.room, "room (required)")->type_name("R");
  chat->add_option("--message", f.message,
                   "the message (or give it as MESSAGE); - reads stdin, @FILE reads FILE, "
                   "@@text is the text @text");
  chat->add_option("MESSAGE", f.positional_message, "the message, as given; - reads it from stdin");
  chat->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      if (!flags->message.empty() && !flags->positional_message.empty()) {
        fail(kExitUsage, "give the message once: MESSAGE or --message");
      }
      if (flags->stdin_lines && !flags->positional_message.empty()) {
        fail(kExitUsage,
             "MESSAGE cannot be given with --stdin-lines: put \"message\" in each line, or "
             "give --message for all of them");
      }
      // "-" (as given, not as a file's content) reads stdin.
      const std::string& given =
          flags->message.empty() ? flags->positional_message : flags->message;
      std::string message = given == "-" ? trim_trailing_newlines(ctx.read_stdin("the message (-)"))
                            : flags->message.empty() ? given
                                                     : message_from_flag(given);
      Poco::JSON::Object body;
      set_if(body, f::kRoomId, flags->room);
      set_if(body, f::kMessage, message);
      return send(ctx,
                  {"chat",
                   api::kChatSendPath,
                   {{f::kRoomId, "--room"}, {f::kMessage, "MESSAGE"}},
                   {f::kRoomId, f::kMessage}},
                  body, *flags);
    };
  });

  auto* typing = leaf(*send_app, "typing", "say you are typing in a room (POST /chat/typing)", f);
  typing->add_option("--room", f.room, "room (required)")->type_name("R");
  typing->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      Poco::JSON::Object body;
      set_if(body, f::kRoomId, flags->room);
      return send(ctx, {"typing", api::kChatTypingPath, {{f::kRoomId, "--room"}}, {f::kRoomId}},
                  body, *flags);
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
      return send(ctx,
                  {"maintenance",
                   api::kMaintenancePath,
                   {{f::kMessage, "--message"}},
                   {f::kMessage, f::kStartsAt, f::kDurationSeconds}},
                  body, *flags);
    };
  });
}

}  // namespace sse::cli
