#pragma once

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <string_view>

// What the web listener answers to one HTTP request: the page's own files
// with their security headers, a 404 for anything else, the error replies,
// and whether a WebSocket upgrade comes from the page's own origin. Pure
// functions of the request: any thread.
namespace lochat::web {

namespace http = boost::beast::http;
using Request = http::request<http::empty_body>;
using Response = http::response<http::string_body>;

// The request line and headers together may not pass this: a page's
// requests carry a few hundred bytes; more is refused with 431.
inline constexpr std::size_t kHeaderLimit = 8 * 1024;
// The page and the WebSocket endpoint.
inline constexpr std::string_view kPagePath = "/";
inline constexpr std::string_view kSocketPath = "/ws";

// GET (or HEAD: the same headers, no body) of the page or one of its files,
// or 404 for any other method or target. A query string is ignored.
Response answer(const Request& request);
// The target without its query string: "/ws?x=1" -> "/ws". Routing looks at this alone.
std::string_view path_of(std::string_view target);
// A short plain-text reply with `status` (400, 403, 404, 408, 413, 431...).
Response error_response(http::status status, unsigned version);
// The request's Host names this server: an IP literal (v4, or v6 in
// brackets), localhost, or this machine's host name (or its first label,
// alone or in .local). Anything else is refused with 403, page and socket
// alike: under DNS rebinding a foreign page reaches us under its own name,
// with an Origin that matches that Host, so the Origin check alone lets it in.
bool host_allowed(const Request& request);
// A WebSocket upgrade may go on: no Origin (not a browser, so no page of
// another site is behind it) or an Origin naming this page's own Host, with
// the scheme the connection has (https when `secure`, over TLS).
bool origin_allowed(const Request& request, bool secure);
// The same target on the same Host over https (308): the answer in clear
// when the server serves the chat over TLS only (--plain off).
Response redirect_to_https(const Request& request);

}  // namespace lochat::web
