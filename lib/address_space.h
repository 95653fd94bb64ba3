// What one process can address: a 32-bit node may have 8 GiB of RAM, but a mem job's pages are
// mapped by one vestad thread, in one 32-bit address space. Its offer is capped to what such a
// process can map, so placement never sends it a job it must fail. Pure.
#pragma once

#include <cstdint>

namespace vesta {

// Linux gives a 32-bit process 3 GiB (the 3G/1G split of armhf and i386); its own code,
// libraries, thread stacks and heap live there too, so 512 MiB of it are kept for those.
inline constexpr uint32_t kUserSpace32Mb = 3072;
inline constexpr uint32_t kOwnMappings32Mb = 512;

// The most one mem job may map in a process of `bits` bits (32 or 64); 0 means no cap.
uint32_t addressableMb(unsigned bits);

// `offerMb` (the config's mem_offer_mb) capped to what a process of `bits` bits can map.
uint32_t cappedMemOffer(uint32_t offerMb, unsigned bits);

}  // namespace vesta
