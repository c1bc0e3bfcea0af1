#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

// Set-up for the command-line programs: config files next to flags, errors a
// person can act on, and process tuning.
namespace lochat::app {

// Adds "--config FILE" with `default_file` read when it exists; keys are the
// long flag names (TOML or INI), flags on the command line win, unknown keys
// are errors.
void add_config_option(CLI::App& app, const std::string& default_file);

// Parses argv; on failure prints one readable line ("PROGRAM: FILE: unknown
// key 'x'" for a bad config file) and returns the exit code to use. Returns
// -1 when the program should go on.
int parse_or_explain(CLI::App& app, int argc, char** argv, const std::string& program);

// For counts that may be 0: a negative value is refused in one sentence
// ("must be 0 or more, not -5"), where CLI11's own check prints a range
// ending in a 300-digit number.
CLI::Validator not_negative();

// A whole number from `min` to `max` (no upper bound when max is 0), refused
// in one sentence that says what is allowed: "must be a whole number from 1
// to 65535, not 70000".
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max = 0);

// One word out of `choices` (any case), turned into its value for CLI11 to
// read; anything else is refused with the words listed ("must be one of all,
// mention, off, not loud"), and --help shows the words, not their numbers.
template <typename Value>
CLI::Validator one_of(const std::map<std::string, Value>& choices) {
  std::map<std::string, std::string> numbers;
  std::string listed;
  for (const auto& [word, value] : choices) {
    numbers[word] = std::to_string(static_cast<long long>(value));
    listed += (listed.empty() ? "" : ", ") + word;
  }
  std::string shown = listed;
  for (auto& c : shown) c = c == ',' ? '|' : c;
  std::erase(shown, ' ');
  return CLI::Validator(
      [numbers, listed](std::string& value) -> std::string {
        const auto found = numbers.find(CLI::detail::to_lower(value));
        if (found == numbers.end()) return "must be one of " + listed + ", not " + value;
        value = found->second;
        return "";
      },
      shown);
}

// One line from stdin, without its "\n" (and "\r"): on a terminal after
// `prompt` on stderr, with echo off, so a password is never shown. nullopt
// at end of input, or when Ctrl-C cancels it (SIGINT is then raised again
// for whoever handled it before).
std::optional<std::string> read_secret(const char* prompt);

// For a thread-per-client server, before any thread starts: glibc would give
// up to eight malloc arenas per core, each keeping its own freed memory; a few
// serve the threads that can run at once and keep idle clients cheap.
void limit_malloc_arenas();

}  // namespace lochat::app
