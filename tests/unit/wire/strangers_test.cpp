#include "lochat/wire/strangers.hpp"

#include <gtest/gtest.h>

namespace lochat::strangers {
namespace {

TEST(StrangerBytes, ATlsRecordOpensWithAHandshakeByteThenVersionThree) {
  EXPECT_TRUE(opens_tls("\x16\x03\x01\x00\xa5"));
  EXPECT_TRUE(opens_tls("\x16"));  // one byte so far: the benefit of the doubt
  EXPECT_FALSE(opens_tls("\x16\x04"));
  EXPECT_FALSE(opens_tls("hello\n"));
  EXPECT_FALSE(opens_tls(""));
}

TEST(StrangerBytes, OnlyAWholeHttpRequestLineIsHttp) {
  EXPECT_TRUE(is_http_request_line("GET / HTTP/1.1"));
  EXPECT_TRUE(is_http_request_line("POST /chat?x=1 HTTP/1.0"));
  EXPECT_TRUE(is_http_request_line("HEAD /favicon.ico HTTP/1.1"));
  EXPECT_TRUE(is_http_request_line("OPTIONS * HTTP/1.1"));
  EXPECT_TRUE(is_http_request_line("CONNECT example.org:443 HTTP/1.1"));
}

TEST(StrangerBytes, WhatAPersonTypesIsNotHttp) {
  EXPECT_FALSE(is_http_request_line("GET me a coffee"));
  EXPECT_FALSE(is_http_request_line("GET /away HTTP/1.1 please"));
  EXPECT_FALSE(is_http_request_line("get / HTTP/1.1"));
  EXPECT_FALSE(is_http_request_line("GET / HTTP/2"));
  EXPECT_FALSE(is_http_request_line("GET  HTTP/1.1"));
  EXPECT_FALSE(is_http_request_line("GET / HTTP/1.x"));
  EXPECT_FALSE(is_http_request_line("FETCH / HTTP/1.1"));
  EXPECT_FALSE(is_http_request_line("GET"));
}

TEST(StrangerBytes, TheLinesSayWhereToGo) {
  EXPECT_EQ(not_a_web_server("http://10.0.0.2:4446/"),
            "Error: this is LoChat's chat port (for lochat and nc), not a web server; the web "
            "client is at http://10.0.0.2:4446/\n");
  EXPECT_EQ(not_a_web_server(""),
            "Error: this is LoChat's chat port (for lochat and nc), not a web server\n");
  EXPECT_EQ(not_tls(4444),
            "Error: this is the TLS port; use a TLS client (lochat, openssl s_client, ncat "
            "--ssl) or the plain port 4444\n");
  EXPECT_EQ(not_tls(0),
            "Error: this server only speaks TLS; use a TLS client (lochat, openssl s_client, ncat "
            "--ssl)\n");
}

}  // namespace
}  // namespace lochat::strangers
