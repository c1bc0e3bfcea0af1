#pragma once

#include <span>
#include <string_view>

// The web client's files (web/ in the source tree), embedded in the binary at
// build time by cmake/EmbedWebAssets.cmake. Read-only data: any thread.
namespace lochat::web {

struct WebAsset {
  std::string_view path;  // as requested: "/index.html", "/app.js"
  std::string_view content_type;
  std::string_view body;
};

// Every embedded file (defined in the generated web_assets_data.cpp).
std::span<const WebAsset> web_assets();
// The file served for `target` ("/" is the page), or nullptr: anything else is a 404.
const WebAsset* find_web_asset(std::string_view target);

}  // namespace lochat::web
