#include "address_space.h"

#include <algorithm>

namespace vesta {

uint32_t addressableMb(unsigned bits) {
  return bits == 32 ? kUserSpace32Mb - kOwnMappings32Mb : 0;
}

uint32_t cappedMemOffer(uint32_t offerMb, unsigned bits) {
  uint32_t cap = addressableMb(bits);
  return cap ? std::min(offerMb, cap) : offerMb;
}

}  // namespace vesta
