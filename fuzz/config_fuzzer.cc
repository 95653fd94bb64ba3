// libFuzzer target: the JSON config file loader and validation.
#include <cstdint>
#include <string>

#include "config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vesta::Config config;
  std::string text(reinterpret_cast<const char*>(data), size);
  if (vesta::applyConfigJson(config, text, "fuzz.json"))
    (void)vesta::validateConfig(config, "host");
  return 0;
}
