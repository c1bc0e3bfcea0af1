#include "lochat/web/http_responses.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <array>
#include <boost/algorithm/string/predicate.hpp>
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

// The name part of a Host header: "[::1]:8080" -> "::1", "box:8080" -> "box".
std::string_view host_name(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? std::string_view{} : host.substr(1, close - 1);
  }
  return host.substr(0, host.find(':'));
}

bool is_ip_literal(std::string_view name) {
  const std::string text(name);
  std::array<unsigned char, sizeof(in6_addr)> address{};
  return ::inet_pton(AF_INET, text.c_str(), address.data()) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), address.data()) == 1;
}

// This machine's names: its host name, its first label, and that label in
// .local (mDNS, how a phone on the LAN finds it). No other suffix: a name
// under someone else's domain is theirs to point anywhere.
bool is_own_name(std::string_view name) {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) return false;
  const std::string own(buffer.data());
  const std::string label = own.substr(0, own.find('.'));
  return boost::iequals(name, own) || boost::iequals(name, label) ||
         boost::iequals(name, label + ".local");
}

Response file_response(const WebAsset& asset, unsigned version) {
  Response response{http::status::ok, version};
  response.set(http::field::content_type, asset.content_type);
  // A new server version brings a new page: the browser asks each time.
  response.set(http::field::cache_control, "no-cache");
  add_security_headers(response);
  response.body() = std::string(asset.body);
  response.prepare_payload();
  return response;
}

}  // namespace

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

const WebAsset* find_web_asset(std::string_view target) {
  target = path_of(target);
  if (target == kPagePath) target = "/index.html";
  for (const auto& asset : web_assets()) {
    if (asset.path == target) return &asset;
  }
  return nullptr;
}

Response answer(const Request& request) {
  const auto* asset = find_web_asset(request.target());
  const bool head = request.method() == http::verb::head;
  Response response = (request.method() == http::verb::get || head) && asset != nullptr
                          ? file_response(*asset, request.version())
                          : error_response(http::status::not_found, request.version());
  // HEAD: the very headers GET would bring (Content-Length included), no body.
  if (head) response.body().clear();
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

bool host_allowed(const Request& request) {
  const auto host = request.find(http::field::host);
  if (host == request.end()) return false;
  const auto name = host_name(host->value());
  return is_ip_literal(name) || boost::iequals(name, "localhost") || is_own_name(name);
}

bool origin_allowed(const Request& request, bool secure) {
  const auto origin = request.find(http::field::origin);
  if (origin == request.end()) return true;
  const auto host = request.find(http::field::host);
  if (host == request.end()) return false;
  return origin->value() == (secure ? "https://" : "http://") + std::string(host->value());
}

Response redirect_to_https(const Request& request) {
  Response response = error_response(http::status::permanent_redirect, request.version());
  // host_allowed has vouched for the Host, and the path starts with "/": the
  // redirect stays on this server.
  const auto target = request.target().starts_with('/') ? request.target() : kPagePath;
  response.set(http::field::location,
               "https://" + std::string(request[http::field::host]) + std::string(target));
  return response;
}

}  // namespace lochat::web
