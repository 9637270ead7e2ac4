// ssectl connections list|kick: the admin view of open streams.

#include <fmt/format.h>

#include <Poco/JSON/Array.h>

#include "commands.hpp"
#include "json_util.hpp"
#include "sse/api/contract.hpp"
#include "sse/client/url.hpp"

namespace sse::cli {
namespace {

struct ConnectionsFlags {
  std::string user;
  std::string channel;  // --stream: a channel name
  std::string id;
};

struct Column {
  const char* field;
  const char* heading;
};
constexpr Column kColumns[] = {{"id", "ID"},
                               {"userId", "USER"},
                               {"stream", "STREAM"},
                               {"room", "ROOM"},
                               {"remoteAddress", "REMOTE"},
                               {"connectedAt", "CONNECTED"},
                               {"lastEventId", "LAST-ID"},
                               {"eventsSent", "EVENTS"},
                               {"bytesSent", "BYTES"},
                               {"queued", "QUEUED"}};
// A cluster's server (history.backend = "redis") also says which node holds each stream.
constexpr Column kNodeColumn = {"node", "NODE"};

void print_table(const Context& ctx, const Poco::JSON::Array::Ptr& connections) {
  std::vector<Column> columns(std::begin(kColumns), std::end(kColumns));
  for (size_t i = 0; i < connections->size(); ++i) {
    auto connection = connections->getObject(static_cast<unsigned>(i));
    if (connection && connection->has(kNodeColumn.field)) {
      columns.insert(columns.begin() + 1, kNodeColumn);
      break;
    }
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> heading;
  for (const Column& column : columns) heading.emplace_back(column.heading);
  rows.push_back(heading);
  for (size_t i = 0; i < connections->size(); ++i) {
    auto connection = connections->getObject(static_cast<unsigned>(i));
    std::vector<std::string> row;
    for (const Column& column : columns) {
      row.push_back(field_text(connection, column.field));
      if (row.back().empty()) row.back() = "-";
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(columns.size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < columns.size(); ++c) {
      line += c + 1 == columns.size() ? rows[r][c] : fmt::format("{:<{}}  ", rows[r][c], width[c]);
    }
    ctx.out().print(r == 0 ? ctx.out().paint(line, ansi::kBold) : line);
  }
}

int run_list(Context& ctx, const ConnectionsFlags& flags) {
  std::string target(api::kConnectionsPath);
  std::string separator = "?";
  if (!flags.user.empty()) {
    target += fmt::format("{}{}={}", separator, api::kUserParam, url_encode(flags.user));
    separator = "&";
  }
  if (!flags.channel.empty()) {
    target +=
        fmt::format("{}{}={}", separator, api::kChannelFilterParam, url_encode(flags.channel));
  }
  auto response = ctx.client().get(target);
  if (!response) ctx.fail_request(response.error());
  const std::string body = trim_trailing_newlines(response->body);
  if (ctx.out().format() != OutputFormat::kText) {
    ctx.out().print(Context::require_json(body, "connections list"));
    return kExitOk;
  }
  auto root = parse_json_object(body);
  auto connections = root ? (*root)->getArray("connections") : nullptr;
  if (!connections)
    fail(kExitProtocol, "connections list: the answer has no \"connections\" array");
  print_table(ctx, connections);
  return kExitOk;
}

int run_kick(Context& ctx, const ConnectionsFlags& flags) {
  auto response =
      ctx.client().del(fmt::format("{}/{}", api::kConnectionsPath, url_encode(flags.id)));
  if (!response) {
    if (response.error().kind == ClientErrorKind::kHttp && response.error().status == 404) {
      fail(kExitFailure,
           fmt::format("no open connection has id {}; see ssectl connections list", flags.id));
    }
    ctx.fail_request(response.error());
  }
  if (ctx.out().format() == OutputFormat::kText) {
    ctx.out().print(fmt::format("closed connection {}", flags.id));
  } else {
    const std::string body = trim_trailing_newlines(response->body);
    ctx.out().print(body.empty() ? fmt::format(R"({{"closed":"{}"}})", flags.id) : body);
  }
  return kExitOk;
}

}  // namespace

void add_connections_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<ConnectionsFlags>();
  auto* connections = app.add_subcommand("connections", "list or close open streams (admin)");
  connections->require_subcommand(1);

  auto* list = connections->add_subcommand("list", "list open streams");
  list->add_option("--user", flags->user, "only this user's streams")->type_name("U");
  list->add_option("--stream", flags->channel,
                   "only this stream: notifications, realtime, chat, status")
      ->type_name("S")
      ->check(CLI::IsMember(channel_names()));
  list->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_list(ctx, *flags); }; });

  auto* kick = connections->add_subcommand("kick", "close one stream (its client may reconnect)");
  kick->add_option("ID", flags->id, "connection id, from connections list")->required();
  kick->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_kick(ctx, *flags); }; });
}

}  // namespace sse::cli
