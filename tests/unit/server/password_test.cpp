// The server password's hash (password.hpp) and what wrong passwords cost an
// address (AddressBudget).
#include "lochat/server/password.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "lochat/server/address_limits.hpp"

namespace lochat {
namespace {

TEST(Password, AHashVerifiesItsPasswordAndNoOther) {
  const std::string hashed = password::hash("correct horse");
  EXPECT_TRUE(hashed.starts_with("$argon2id$"));
  EXPECT_EQ(hashed.find("correct horse"), std::string::npos);
  EXPECT_TRUE(password::verify(hashed, "correct horse"));
  EXPECT_FALSE(password::verify(hashed, "correct horse "));
  EXPECT_FALSE(password::verify(hashed, "Correct horse"));
  EXPECT_NE(password::hash("correct horse"), hashed) << "each hash has its own salt";
}

TEST(Password, AFileHoldingAPasswordInsteadOfAHashIsRefused) {
  const auto path =
      std::filesystem::temp_directory_path() / ("lochat-password-" + std::to_string(::getpid()));
  std::ofstream(path) << "correct horse\n";
  EXPECT_THROW(password::read_hash_file(path.string()), std::runtime_error);
  const std::string hashed = password::hash("correct horse");
  std::ofstream(path) << hashed << "\n";
  EXPECT_EQ(password::read_hash_file(path.string()), hashed);
  std::filesystem::remove(path);
}

TEST(Password, APasswordTheServerCouldNotReadBackIsNoPassword) {
  EXPECT_TRUE(password::problem(""));
  EXPECT_TRUE(password::problem(" leading blank"));
  EXPECT_TRUE(password::problem("bell\a"));
  EXPECT_FALSE(password::problem("Zoë's pass phrase"));
}

TEST(AddressBudget, AFewWrongPasswordsRefuseTheAddressForAWhileThenItRests) {
  const auto start = AddressBudget::Clock::now();
  AddressBudget budget(10, 30, start);
  for (std::size_t wrong = 1; wrong < kWrongPasswordsAllowed; ++wrong) {
    EXPECT_FALSE(budget.note_wrong_password(start));
    EXPECT_EQ(budget.refused_for(start).count(), 0);
  }
  EXPECT_TRUE(budget.note_wrong_password(start));
  EXPECT_EQ(budget.refused_for(start), kPasswordRefusal);
  EXPECT_FALSE(budget.rested(start)) << "a refused address must not be forgotten";
  EXPECT_EQ(budget.refused_for(start + kPasswordRefusal).count(), 0);
  EXPECT_TRUE(budget.rested(start + kPasswordRefusal));
}

}  // namespace
}  // namespace lochat
