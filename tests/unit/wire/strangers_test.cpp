#include "lochat/wire/strangers.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace lochat::strangers {
namespace {

TEST(StrangerBytes, ATlsRecordOpensWithAHandshakeByteThenVersionThree) {
  EXPECT_TRUE(opens_tls("\x16\x03\x01\x00\xa5"));
  EXPECT_TRUE(opens_tls("\x16"));  // one byte so far: the benefit of the doubt
  EXPECT_FALSE(opens_tls("\x16\x04"));
  EXPECT_FALSE(opens_tls("hello\n"));
  EXPECT_FALSE(opens_tls(""));
}

TEST(StrangerBytes, AServerAnswersTlsWithAHandshakeOrAnAlertRecord) {
  EXPECT_TRUE(answers_tls("\x16\x03\x03\x00\x7a"));
  EXPECT_TRUE(answers_tls("\x15\x03\x03\x00\x02"));
  EXPECT_TRUE(answers_tls("\x15"));
  EXPECT_FALSE(answers_tls("\x15\x04"));
  EXPECT_FALSE(answers_tls("Error: server full (3 clients)\n"));
  EXPECT_FALSE(answers_tls(""));
}

TEST(StrangerBytes, AnAnswerInClearIsShownOnlyAsOnePrintableLine) {
  EXPECT_EQ(clear_answer_line("Error: server full (3 clients)\n", true),
            "Error: server full (3 clients)");
  EXPECT_EQ(clear_answer_line("Error: not yet\r\nmore", false), "Error: not yet");
  EXPECT_EQ(clear_answer_line("Erreur : serveur plein\t(3)", true), "Erreur : serveur plein\t(3)");
  EXPECT_EQ(clear_answer_line("Error: half a line", false), std::nullopt);  // more may come
  EXPECT_EQ(clear_answer_line("\x1b]0;pwned\a Error\n", true), std::nullopt);
  EXPECT_EQ(clear_answer_line("Error \xff\xfe\n", true), std::nullopt);
  EXPECT_EQ(clear_answer_line(std::string_view("\x00\x01\x02\n", 4), true), std::nullopt);
  EXPECT_EQ(clear_answer_line("\n", true), std::nullopt);
  EXPECT_EQ(clear_answer_line("", true), std::nullopt);
  const std::string longest(kMaxClearAnswer - 1, 'x');
  EXPECT_EQ(clear_answer_line(longest + "\n", true), longest);
  EXPECT_EQ(clear_answer_line(longest + "x\n", true), std::nullopt);
  EXPECT_EQ(clear_answer_line(longest + "x", true), std::nullopt);
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
