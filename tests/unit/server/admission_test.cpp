#include "lochat/server/admission.hpp"

#include <gtest/gtest.h>

namespace lochat::admission {
namespace {

TEST(Admission, ANewcomerIsServedWhilePlacesAreFree) {
  EXPECT_EQ(admit({.taken = 10, .max = 1024}, {.held = 10}), Verdict::serve);
}

TEST(Admission, TheReserveIsAQuarterOfASmallServerAndSixteenPlacesOfALargeOne) {
  EXPECT_EQ((Places{.taken = 0, .max = 8}).reserved(), 2U);
  EXPECT_EQ((Places{.taken = 0, .max = 1024}).reserved(), kReservedPlaces);
  EXPECT_EQ((Places{.taken = 0, .max = 3}).reserved(), 0U);
}

TEST(Admission, WhenOnlyTheReserveIsLeftAnAddressWithAFewConnectionsGetsNoMore) {
  const Places crowded{.taken = 1024 - kReservedPlaces, .max = 1024};
  EXPECT_EQ(admit(crowded, {.held = kFewPerAddress}), Verdict::refuse_reserved);
  EXPECT_EQ(admit(crowded, {.held = kFewPerAddress - 1}), Verdict::serve);
  EXPECT_EQ(admit({.taken = 1023 - kReservedPlaces, .max = 1024}, {.held = 500}), Verdict::serve);
}

TEST(Admission, WhenOnlyTheReserveIsLeftAnAddressOpeningConnectionsTooFastIsRefused) {
  const Places crowded{.taken = 1020, .max = 1024};
  EXPECT_EQ(admit(crowded, {.held = 0, .connect_token_free = false}), Verdict::refuse_rate);
  EXPECT_EQ(admit({.taken = 10, .max = 1024}, {.held = 0, .connect_token_free = false}),
            Verdict::serve);
}

TEST(Admission, AFullServerMakesRoomOnlyForAnAddressThatHoldsFewConnections) {
  const Places full{.taken = 8, .max = 8};
  EXPECT_EQ(admit(full, {.held = 0}), Verdict::make_room);
  EXPECT_EQ(admit(full, {.held = kFewPerAddress}), Verdict::refuse_full);
}

TEST(Admission, AFullServerAlsoRefusesAnAddressOpeningConnectionsTooFast) {
  EXPECT_EQ(admit({.taken = 8, .max = 8}, {.held = 0, .connect_token_free = false}),
            Verdict::refuse_rate);
}

TEST(Admission, WhileOthersLeaveToMakeRoomTheServerGoesOnlyALittlePastItsLimit) {
  EXPECT_EQ(admit({.taken = 8 + kPastMaxWhileMakingRoom - 1, .max = 8}, {.held = 0}),
            Verdict::make_room);
  EXPECT_EQ(admit({.taken = 8 + kPastMaxWhileMakingRoom, .max = 8}, {.held = 0}),
            Verdict::refuse_full);
}

TEST(Admission, TheFixedCapHoldsWhateverTheCrowd) {
  EXPECT_EQ(admit({.taken = 1, .max = 1024}, {.held = 2, .max_per_ip = 2}), Verdict::refuse_capped);
}

TEST(Admission, EachRefusalSaysWhyInWords) {
  const Places crowded{.taken = 6, .max = 8};
  EXPECT_EQ(refusal(Verdict::refuse_reserved, crowded, "127.0.0.7", 0),
            "server nearly full: its last 2 places are kept for other machines, and 127.0.0.7 "
            "has 4 or more connections");
  EXPECT_EQ(refusal(Verdict::refuse_rate, crowded, "127.0.0.7", 0),
            "server nearly full: 127.0.0.7 opens connections too fast, try again in a second");
  EXPECT_EQ(refusal(Verdict::refuse_rate, {.taken = 8, .max = 8}, "127.0.0.7", 0),
            "server full: 127.0.0.7 opens connections too fast, try again in a second");
  EXPECT_EQ(refusal(Verdict::refuse_full, crowded, "127.0.0.7", 0),
            "server full (8 clients), try again later");
  EXPECT_EQ(refusal(Verdict::refuse_capped, crowded, "127.0.0.7", 3),
            "too many connections from 127.0.0.7 (limit 3)");
}

}  // namespace
}  // namespace lochat::admission
