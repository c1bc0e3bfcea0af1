#pragma once

#include <CLI/CLI.hpp>
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

// For a thread-per-client server, before any thread starts: glibc would give
// up to eight malloc arenas per core, each keeping its own freed memory; a few
// serve the threads that can run at once and keep idle clients cheap.
void limit_malloc_arenas();

}  // namespace lochat::app
