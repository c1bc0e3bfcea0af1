#include "unicode_names.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include <array>
#include <vector>

namespace lochat::text::unicode {

namespace {

std::u16string to_utf16(std::string_view utf8, UErrorCode& error) {
  int32_t length = 0;
  u_strFromUTF8(nullptr, 0, &length, utf8.data(), static_cast<int32_t>(utf8.size()), &error);
  if (error == U_BUFFER_OVERFLOW_ERROR) error = U_ZERO_ERROR;
  std::u16string out(static_cast<std::size_t>(length), u'\0');
  u_strFromUTF8(out.data(), length, nullptr, utf8.data(), static_cast<int32_t>(utf8.size()),
                &error);
  return out;
}

std::string to_utf8(std::u16string_view utf16, UErrorCode& error) {
  int32_t length = 0;
  u_strToUTF8(nullptr, 0, &length, utf16.data(), static_cast<int32_t>(utf16.size()), &error);
  if (error == U_BUFFER_OVERFLOW_ERROR) error = U_ZERO_ERROR;
  std::string out(static_cast<std::size_t>(length), '\0');
  u_strToUTF8(out.data(), length, nullptr, utf16.data(), static_cast<int32_t>(utf16.size()),
              &error);
  return out;
}

// Opened once, never changed: ICU allows concurrent checks on one checker.
const USpoofChecker* spoof_checker() {
  static const USpoofChecker* const checker = [] {
    UErrorCode error = U_ZERO_ERROR;
    USpoofChecker* opened = uspoof_open(&error);
    return U_SUCCESS(error) ? opened : nullptr;
  }();
  return checker;
}

// Checks the restriction level and invisible marks only; confusability is the skeleton's job.
const USpoofChecker* script_checker() {
  static const USpoofChecker* const checker = [] {
    UErrorCode error = U_ZERO_ERROR;
    USpoofChecker* opened = uspoof_open(&error);
    uspoof_setChecks(opened, USPOOF_RESTRICTION_LEVEL | USPOOF_INVISIBLE, &error);
    uspoof_setRestrictionLevel(opened, USPOOF_HIGHLY_RESTRICTIVE);
    return U_SUCCESS(error) ? opened : nullptr;
  }();
  return checker;
}

}  // namespace

namespace {

std::string normalized_by(const UNormalizer2* normalizer, UErrorCode error, std::string_view utf8) {
  const auto source = to_utf16(utf8, error);
  if (U_FAILURE(error)) return std::string(utf8);
  const auto length = unorm2_normalize(normalizer, source.data(),
                                       static_cast<int32_t>(source.size()), nullptr, 0, &error);
  if (error == U_BUFFER_OVERFLOW_ERROR) error = U_ZERO_ERROR;
  std::u16string normalized(static_cast<std::size_t>(length), u'\0');
  unorm2_normalize(normalizer, source.data(), static_cast<int32_t>(source.size()),
                   normalized.data(), length, &error);
  const auto out = to_utf8(normalized, error);
  return U_SUCCESS(error) ? out : std::string(utf8);
}

}  // namespace

std::string nfc(std::string_view utf8) {
  UErrorCode error = U_ZERO_ERROR;
  const UNormalizer2* normalizer = unorm2_getNFCInstance(&error);
  return normalized_by(normalizer, error, utf8);
}

std::string nfkc_casefold(std::string_view utf8) {
  UErrorCode error = U_ZERO_ERROR;
  const UNormalizer2* normalizer = unorm2_getNFKCCasefoldInstance(&error);
  return normalized_by(normalizer, error, utf8);
}

std::string skeleton(std::string_view utf8) {
  const USpoofChecker* checker = spoof_checker();
  if (checker == nullptr) return std::string(utf8);
  UErrorCode error = U_ZERO_ERROR;
  const auto size = static_cast<int32_t>(utf8.size());
  const auto length = uspoof_getSkeletonUTF8(checker, 0, utf8.data(), size, nullptr, 0, &error);
  if (error == U_BUFFER_OVERFLOW_ERROR) error = U_ZERO_ERROR;
  std::string out(static_cast<std::size_t>(length), '\0');
  uspoof_getSkeletonUTF8(checker, 0, utf8.data(), size, out.data(), length, &error);
  return U_SUCCESS(error) ? out : std::string(utf8);
}

bool mixes_scripts(std::string_view utf8) {
  const USpoofChecker* checker = script_checker();
  if (checker == nullptr) return false;
  UErrorCode error = U_ZERO_ERROR;
  const auto result =
      uspoof_checkUTF8(checker, utf8.data(), static_cast<int32_t>(utf8.size()), nullptr, &error);
  return U_SUCCESS(error) && result != 0;
}

bool is_mark(char32_t code_point) {
  const auto category = u_charType(static_cast<UChar32>(code_point));
  return category == U_NON_SPACING_MARK || category == U_COMBINING_SPACING_MARK ||
         category == U_ENCLOSING_MARK;
}

bool is_invisible(char32_t code_point) {
  return u_hasBinaryProperty(static_cast<UChar32>(code_point),
                             UCHAR_DEFAULT_IGNORABLE_CODE_POINT) != 0;
}

char32_t small_capital_as_letter(char32_t code_point) {
  // Unicode gives these no lower case and the confusables no skeleton, yet
  // "ᴀ" reads as "a"; their names say which letter they are.
  constexpr std::string_view kSmallCapital = "LATIN LETTER SMALL CAPITAL ";
  if (code_point < 0x80) return code_point;
  std::array<char, 96> name{};
  UErrorCode error = U_ZERO_ERROR;
  const auto length = u_charName(static_cast<UChar32>(code_point), U_UNICODE_CHAR_NAME, name.data(),
                                 static_cast<int32_t>(name.size()), &error);
  const std::string_view said(name.data(), U_SUCCESS(error) ? static_cast<std::size_t>(length) : 0);
  if (said.size() != kSmallCapital.size() + 1 || !said.starts_with(kSmallCapital)) {
    return code_point;
  }
  const char letter = said.back();
  return letter >= 'A' && letter <= 'Z' ? static_cast<char32_t>(letter - 'A' + 'a') : code_point;
}

std::size_t columns(char32_t code_point) {
  if (code_point < 0x80) return 1;
  const auto point = static_cast<UChar32>(code_point);
  const auto category = u_charType(point);
  if (category == U_NON_SPACING_MARK || category == U_ENCLOSING_MARK || is_invisible(code_point)) {
    return 0;
  }
  const auto width = u_getIntPropertyValue(point, UCHAR_EAST_ASIAN_WIDTH);
  return width == U_EA_WIDE || width == U_EA_FULLWIDTH ? 2 : 1;
}

}  // namespace lochat::text::unicode
