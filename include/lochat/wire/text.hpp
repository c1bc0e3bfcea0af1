#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Text rules shared by server and client: what may reach a terminal, and
// what is a name. Pure functions: any thread may call them.
namespace lochat::text {

// Valid, printable UTF-8: each invalid byte becomes U+FFFD, and control
// characters (C0 other than tab, DEL, C1) and bidirectional controls
// (U+061C, U+200E/F, U+202A-E, U+2066-9) are removed, so a peer can never
// move another user's cursor, retitle their window, clear their screen or
// turn the text around it backwards.
std::string sanitize(std::string_view bytes);

// The rows a terminal `columns` wide shows `rendered` in (cleaned text that
// may hold SGR colour sequences, which take no room): the first row as it is,
// each further row after `gutter`. So no part of a long or space-padded peer
// line can start a row of its own at the left edge, where it could pass for a
// notice or for another person's line. A tab becomes spaces to the next
// multiple of 8 columns from the row's start (the terminal's own tab stop
// would let it wrap the row itself, gutter-less). Unknown width (0), or too
// narrow for the gutter: one row.
std::vector<std::string> wrap_for_terminal(std::string_view rendered, std::size_t columns,
                                           std::string_view gutter);

// The columns `text` takes on a terminal: East Asian wide characters two,
// combining marks none, SGR colour sequences none, a tab to the next
// multiple of 8 counted from the start of `text` (as terminals and readline
// show it).
std::size_t display_width(std::string_view text);

inline constexpr std::size_t kMaxNameLength = 32;

// The form a name is kept and shown in: NFC, so "e" + U+0301 and "é" are one name.
std::string normalize_name(std::string_view name);

// Why `name` cannot be a nickname, or nullopt if it can: once normalized,
// 1-32 characters, each a letter (any script), a digit, or one of "_-.";
// nothing invisible (Unicode's default-ignorable code points, such as
// zero-width joiners and Hangul fillers); no letter whose look-alike is
// punctuation ("ː" for ':'); one writing system (UTS #39 "highly
// restrictive": no Hebrew point or Arabic vowel mark on Latin letters).
std::optional<std::string> name_problem(std::string_view name);

// The form in which names are compared: two names that fold alike are the
// same name. Normalized, compatibility forms folded (NFKC_Casefold:
// fullwidth "ａ" is "a"), lower-cased (small capitals too: "ᴀ" is "a"), then
// the Unicode confusables skeleton (UTS #39, by ICU), so "𝐚lice", "ａlice",
// "alıce" and "аlice" (Cyrillic а) are all "alice". "i" and "l" fold alike, since
// "I" is the capital of one and looks like the other: "aIice" is "alice"
// (and so, less usefully, is "aiice"). Other letters with marks stay
// distinct: "alicė" (Lithuanian ė) is a name of its own.
std::string fold_name(std::string_view name);

// Text folded as names are, but with "i" and "l" apart, to find a name in
// it: "all" does not mention "ali".
std::string fold_text(std::string_view text);

}  // namespace lochat::text
