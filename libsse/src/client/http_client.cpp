#include "sse/client/http_client.hpp"

#include <istream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

#include "poco_errors.hpp"

namespace sse {

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::pair<std::string, std::string> decode_error_body(std::string_view body) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
    auto error = root ? root->getObject("error") : nullptr;
    if (!error) return {};
    return {error->optValue<std::string>("code", ""), error->optValue<std::string>("message", "")};
  } catch (const std::exception&) {  // Poco::Exception is one too
    return {};
  }
}

ClientError http_error_from(const HttpResponse& response) {
  ClientError error;
  error.kind = ClientErrorKind::kHttp;
  error.status = response.status;
  error.body = response.body;
  auto [code, message] = decode_error_body(response.body);
  error.code = code;
  error.message =
      !message.empty() ? message : fmt::format("HTTP {} {}", response.status, response.reason);
  const std::string retry = response.header("retry-after");
  if (!retry.empty()) {
    try {
      error.retry_after_s = std::stoll(retry);
    } catch (const std::exception&) {
      error.retry_after_s = 0;
    }
  }
  return error;
}

Result<HttpResponse, ClientError> HttpClient::request(const std::string& method,
                                                      const std::string& target,
                                                      const std::string& body,
                                                      const Headers& headers) const {
  const std::string path = options_.url.path_prefix + target;
  bool sent = false;  // the request head went out: the server may act on it
  try {
    Poco::Net::HTTPClientSession session(options_.url.host,
                                         static_cast<Poco::UInt16>(options_.url.port));
    session.setTimeout(Poco::Timespan(options_.timeout.count() * 1000));
    session.setKeepAlive(false);
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Accept", "application/json");
    req.set("User-Agent", "ssectl");
    if (!options_.token.empty()) req.set("Authorization", "Bearer " + options_.token);
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty() || method == "POST")
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    if (options_.trace) options_.trace(fmt::format("> {} {}", method, path));
    std::ostream& out = session.sendRequest(req);
    sent = true;
    out << body;

    Poco::Net::HTTPResponse res;
    std::istream& in = session.receiveResponse(res);
    HttpResponse response;
    response.status = static_cast<int>(res.getStatus());
    response.reason = res.getReason();
    for (const auto& [name, value] : res) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[lower] = value;
    }
    std::ostringstream content;
    Poco::StreamCopier::copyStream(in, content);
    response.body = content.str();
    if (options_.trace) {
      options_.trace(fmt::format("< {} {} ({} bytes)", response.status, response.reason,
                                 response.body.size()));
    }
    if (response.status < 200 || response.status > 299) return http_error_from(response);
    return response;
  } catch (const Poco::Exception& e) {
    ClientError error = client_error_from(e, options_.url);
    error.request_sent = sent;
    return error;
  } catch (const std::exception& e) {
    ClientError error = client_error(ClientErrorKind::kProtocol, e.what());
    error.request_sent = sent;
    return error;
  }
}

}  // namespace sse
