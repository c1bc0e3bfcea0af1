#include "lochat/web/http_responses.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <string>

#include "lochat/web/web_assets.hpp"

namespace lochat::web {

namespace {

// The page loads only its own files and talks only to its own WebSocket; no
// other site may frame it. 'self' covers ws:// on the same host and port.
constexpr std::string_view kContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'";

void add_security_headers(Response& response) {
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  // Each request gets its own connection and thread, closed after the answer.
  response.keep_alive(false);
}

}  // namespace

const WebAsset* find_web_asset(std::string_view target) {
  target = target.substr(0, target.find('?'));  // a link may carry a query; the files take none
  if (target == kPagePath) target = "/index.html";
  for (const auto& asset : web_assets()) {
    if (asset.path == target) return &asset;
  }
  return nullptr;
}

Response answer(const Request& request) {
  const auto* asset = find_web_asset(request.target());
  if (request.method() != http::verb::get || asset == nullptr) {
    return error_response(http::status::not_found, request.version());
  }
  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, asset->content_type);
  // A new server version brings a new page: the browser asks each time.
  response.set(http::field::cache_control, "no-cache");
  add_security_headers(response);
  response.body() = std::string(asset->body);
  response.prepare_payload();
  return response;
}

Response error_response(http::status status, unsigned version) {
  Response response{status, version};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  add_security_headers(response);
  response.body() = std::string(http::obsolete_reason(status)) + "\n";
  response.prepare_payload();
  return response;
}

bool origin_allowed(const Request& request) {
  const auto origin = request.find(http::field::origin);
  if (origin == request.end()) return true;
  const auto host = request.find(http::field::host);
  if (host == request.end()) return false;
  return origin->value() == "http://" + std::string(host->value());
}

}  // namespace lochat::web
