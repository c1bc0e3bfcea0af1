#include "lochat/wire/text.hpp"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "unicode_names.hpp"

namespace lochat::text {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

struct Decoded {
  char32_t code_point = kReplacement;
  std::size_t length = 1;  // bytes consumed; an invalid byte is consumed alone
  bool valid = false;
};

bool is_printable_ascii(char byte) {
  return byte >= ' ' && byte <= '~';
}

// Decodes one UTF-8 sequence, rejecting overlong forms, surrogates and values past U+10FFFF.
Decoded decode(std::string_view bytes) {
  const auto lead = static_cast<unsigned char>(bytes[0]);
  if (lead < 0x80) return {lead, 1, true};
  std::size_t length = 0;
  char32_t minimum = 0;
  char32_t value = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, minimum = 0x80, value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, minimum = 0x800, value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, minimum = 0x10000, value = lead & 0x07;
  } else {
    return {};
  }
  if (bytes.size() < length) return {};
  for (std::size_t i = 1; i < length; ++i) {
    const auto continuation = static_cast<unsigned char>(bytes[i]);
    if ((continuation & 0xC0) != 0x80) return {};
    value = (value << 6) | (continuation & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return {};
  return {value, length, true};
}

void encode(char32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool is_control(char32_t code_point) {
  return (code_point < 0x20 && code_point != '\t') || code_point == 0x7F ||
         (code_point >= 0x80 && code_point <= 0x9F);
}

// Marks that reorder how a terminal shows the text around them (U+202E turns
// "alice: hi" into "ih :ecila"): peer text could pose as something else.
bool is_bidi_control(char32_t code_point) {
  return code_point == 0x061C || code_point == 0x200E || code_point == 0x200F ||
         (code_point >= 0x202A && code_point <= 0x202E) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

// Unicode classification without touching the process-wide locale.
locale_t unicode_locale() {
  static const locale_t locale =
      newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return locale;
}

bool is_name_character(char32_t code_point) {
  if (code_point < 0x80) {
    const auto c = static_cast<char>(code_point);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  }
  const locale_t locale = unicode_locale();
  return locale != nullptr && iswalpha_l(static_cast<wint_t>(code_point), locale) != 0;
}

char32_t fold(char32_t code_point) {
  if (code_point < 0x80) {
    return code_point >= 'A' && code_point <= 'Z' ? code_point + ('a' - 'A') : code_point;
  }
  const locale_t locale = unicode_locale();
  const char32_t letter = unicode::small_capital_as_letter(code_point);
  if (locale == nullptr || letter != code_point) return letter;
  return static_cast<char32_t>(towlower_l(static_cast<wint_t>(code_point), locale));
}

}  // namespace

std::string sanitize(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    // Printable ASCII, most of any chat line, passes as it is, a run at a time.
    const auto plain = static_cast<std::size_t>(
        std::find_if_not(bytes.begin(), bytes.end(), is_printable_ascii) - bytes.begin());
    out.append(bytes.substr(0, plain));
    bytes.remove_prefix(plain);
    if (bytes.empty()) break;
    const auto decoded = decode(bytes);
    bytes.remove_prefix(decoded.length);
    if (decoded.valid && (is_control(decoded.code_point) || is_bidi_control(decoded.code_point))) {
      continue;
    }
    encode(decoded.code_point, out);
  }
  return out;
}

namespace {

// An escape sequence (ESC [ ... final byte) at the start of `text`: its length, or 0.
std::size_t escape_length(std::string_view text) {
  if (text.size() < 2 || text[0] != '\x1b' || text[1] != '[') return 0;
  for (std::size_t at = 2; at < text.size(); ++at) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte >= 0x40 && byte <= 0x7E) return at + 1;
  }
  return text.size();
}

// Where a tab at `column` takes the cursor: the next multiple of 8, as
// terminals (and readline) place their tab stops.
std::size_t after_tab(std::size_t column) {
  constexpr std::size_t kTabStop = 8;
  return (column / kTabStop + 1) * kTabStop;
}

std::size_t width_of(std::string_view text) {
  std::size_t width = 0;
  while (!text.empty()) {
    if (const auto escape = escape_length(text)) {
      text.remove_prefix(escape);
      continue;
    }
    const auto decoded = decode(text);
    text.remove_prefix(decoded.length);
    width = decoded.code_point == '\t' ? after_tab(width)
                                       : width + unicode::columns(decoded.code_point);
  }
  return width;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  return width_of(text);
}

std::vector<std::string> wrap_for_terminal(std::string_view rendered, std::size_t columns,
                                           std::string_view gutter) {
  const std::size_t gutter_width = width_of(gutter);
  if (columns <= gutter_width + 1) return {std::string(rendered)};
  std::vector<std::string> rows(1);
  std::size_t used = 0;
  const auto new_row = [&] {
    rows.emplace_back(gutter);
    used = gutter_width;
  };
  while (!rendered.empty()) {
    if (const auto escape = escape_length(rendered)) {
      rows.back().append(rendered.substr(0, escape));
      rendered.remove_prefix(escape);
      continue;
    }
    const auto decoded = decode(rendered);
    const auto bytes = rendered.substr(0, decoded.length);
    rendered.remove_prefix(decoded.length);
    if (decoded.code_point == '\t') {
      // The terminal would jump to its own tab stop, wrap on its own and start
      // a row without the gutter: spaces to the stop instead, within the row.
      if (used >= columns) new_row();
      const auto stop = std::min(after_tab(used), columns);
      rows.back().append(stop - used, ' ');
      used = stop;
      continue;
    }
    const auto width = unicode::columns(decoded.code_point);
    if (used + width > columns && used > gutter_width) new_row();
    rows.back().append(bytes);
    used += width;
  }
  return rows;
}

std::string normalize_name(std::string_view name) {
  return unicode::nfc(name);
}

std::optional<std::string> name_problem(std::string_view raw_name) {
  if (raw_name.empty()) return "a name needs at least one character";
  const std::string name = normalize_name(raw_name);
  std::string_view rest = name;
  std::size_t characters = 0;
  while (!rest.empty()) {
    const auto decoded = decode(rest);
    if (!decoded.valid) return "a name must be valid UTF-8";
    if (unicode::is_invisible(decoded.code_point)) {
      return "a name may not hold invisible characters";
    }
    // A mark only on a letter before it; mixes_scripts() below sees whose.
    const bool mark_on_letter = characters > 0 && unicode::is_mark(decoded.code_point);
    if (!is_name_character(decoded.code_point) && !mark_on_letter) {
      return "a name may only hold letters, digits, '_', '-' and '.'";
    }
    rest.remove_prefix(decoded.length);
    ++characters;
  }
  if (characters > kMaxNameLength) return "a name may be at most 32 characters long";
  if (unicode::mixes_scripts(name))
    return "a name may not mix letters or marks of different scripts";
  // A letter that looks like ':' or '*' would pose as punctuation next to the name.
  for (const char c : unicode::skeleton(name)) {
    if (static_cast<unsigned char>(c) < 0x80 && !is_name_character(static_cast<char32_t>(c))) {
      return "a name may not hold letters that look like punctuation";
    }
  }
  return std::nullopt;
}

namespace {

std::string lower_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto decoded = decode(text);
    text.remove_prefix(decoded.length);
    encode(decoded.valid ? fold(decoded.code_point) : kReplacement, out);
  }
  return out;
}

}  // namespace

namespace {

// Lower case first: the skeleton keeps case ("I" and "l" meet, "A" and "a"
// do not). With `i_is_l`, "i" and "l" are one letter: "I" is the capital
// of one and the look-alike of the other, and a name is taken by both.
std::string fold_until_stable(std::string_view text, bool i_is_l) {
  const auto fold_once = [i_is_l](std::string_view unfolded) {
    std::string folded =
        lower_case(unicode::skeleton(lower_case(unicode::nfkc_casefold(normalize_name(unfolded)))));
    if (i_is_l) std::replace(folded.begin(), folded.end(), 'l', 'i');
    return folded;
  };
  // One round is not always the last: "ǅ" folds to "dz" and a caron, which
  // composes to "dž" and folds on. Names compare equal only if folding a
  // folded name changes nothing, so fold until it does (a few rounds at most).
  constexpr int kMaxRounds = 8;
  std::string folded = fold_once(text);
  for (int round = 1; round < kMaxRounds; ++round) {
    std::string again = fold_once(folded);
    if (again == folded) break;
    folded = std::move(again);
  }
  return folded;
}

}  // namespace

std::string fold_name(std::string_view name) {
  return fold_until_stable(name, true);
}

std::string fold_text(std::string_view text) {
  return fold_until_stable(text, false);
}

}  // namespace lochat::text
