#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// ICU behind the name rules of text.hpp (internal to the wire part): NFC,
// NFKC_Casefold, the UTS #39 confusables skeleton, and which code points are
// invisible.
// Pure functions over valid UTF-8; any thread may call them.
namespace lochat::text::unicode {

// NFC: "e" + U+0301 and "é" become one form. Invalid input comes back as it is.
std::string nfc(std::string_view utf8);
// NFKC_Casefold: compatibility forms and case folded, "ｂ" (fullwidth) and
// "ℬ" are "b". The confusables skeleton leaves some of these apart.
std::string nfkc_casefold(std::string_view utf8);
// The UTS #39 skeleton: letters that look alike ("𝐚", "а", "a") map to one.
std::string skeleton(std::string_view utf8);
// Default_Ignorable_Code_Point: shown as nothing (zero-width spaces and
// joiners, Hangul fillers, variation selectors, ...).
bool is_invisible(char32_t code_point);
// True if `utf8` mixes scripts beyond what one writing system uses (UTS #39
// "highly restrictive": Latin with Han and kana is fine, Latin with a Hebrew
// point or an Arabic vowel mark is not), or stacks the same combining mark.
bool mixes_scripts(std::string_view utf8);
// A combining mark (Unicode general category M): the vowel signs and viramas
// many scripts need on their letters.
bool is_mark(char32_t code_point);
// The Latin letter a small capital shows as, lower case ("ᴀ" U+1D00 is
// "a"); any other code point as it is.
char32_t small_capital_as_letter(char32_t code_point);
// Terminal columns a printable code point takes: 0 for combining marks and
// invisible ones, 2 for East Asian wide and fullwidth ones, 1 otherwise.
std::size_t columns(char32_t code_point);

}  // namespace lochat::text::unicode
