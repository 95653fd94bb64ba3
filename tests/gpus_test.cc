#include <catch2/catch.hpp>

#include "gpu_slots.h"
#include "gpus.h"
#include "sysstat.h"
#include "test_util.h"

using vesta::Gpu;

TEST_CASE("an amdgpu card: vendor, model, VRAM, busy %, its render node and /dev/kfd", "[gpus]") {
  auto gpus = vesta::readGpuList(dataPath("gpu/amdgpu"));
  REQUIRE(gpus.size() == 1);  // card0-DP-1 is a connector
  const Gpu& g = gpus[0];
  CHECK(g.index == 0);
  CHECK(g.vendor == "AMD");
  CHECK(g.model == "AMD Radeon RX 6800 XT");
  CHECK(g.driver == "amdgpu");
  CHECK(g.memory_mb == 16368);
  CHECK(g.busy_pct == 37u);
  CHECK(g.pci == "0000:03:00.0");
  CHECK(g.runtime_index == 0);
  CHECK(g.devices == std::vector<std::string>{"/dev/dri/renderD128", "/dev/kfd"});
  CHECK(vesta::describeGpu(g) == "AMD Radeon RX 6800 XT (amdgpu, 16368 MiB, 37% busy)");
}

TEST_CASE("an NVIDIA card the driver shows only in /proc/driver/nvidia", "[gpus]") {
  auto gpus = vesta::readGpuList(dataPath("gpu/nvidia"));
  REQUIRE(gpus.size() == 1);
  const Gpu& g = gpus[0];
  CHECK(g.vendor == "NVIDIA");
  CHECK(g.model == "NVIDIA GeForce RTX 3080");
  CHECK(g.driver == "nvidia");
  CHECK_FALSE(g.memory_mb);  // the driver's information file does not say
  CHECK_FALSE(g.busy_pct);
  CHECK(g.runtime_index == 0);
  CHECK(g.devices == std::vector<std::string>{"/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm",
                                              "/dev/nvidia-uvm-tools"});
}

TEST_CASE("an Intel iGPU named by its driver symlink, with no compute runtime", "[gpus]") {
  auto gpus = vesta::readGpuList(dataPath("gpu/intel"));
  REQUIRE(gpus.size() == 1);
  CHECK(gpus[0].vendor == "Intel");
  CHECK(gpus[0].driver == "i915");  // from device/driver, uevent has no DRIVER=
  CHECK(gpus[0].model == "device 0x9a49");
  CHECK(gpus[0].runtime_index == -1);
  CHECK(gpus[0].devices == std::vector<std::string>{"/dev/dri/renderD128"});
}

TEST_CASE("an NVIDIA card both DRM and the driver show is one GPU", "[gpus]") {
  auto gpus = vesta::readGpuList(dataPath("gpu/mixed"));
  REQUIRE(gpus.size() == 2);
  CHECK(gpus[0].driver == "i915");
  CHECK(gpus[1].driver == "nvidia");
  CHECK(gpus[1].index == 1);
  CHECK(gpus[1].model == "NVIDIA GeForce RTX 3080");  // the driver's name beats "device 0x2206"
  CHECK(gpus[1].runtime_index == 0);                  // CUDA's first card, though Vesta's second
  auto env = vesta::gpuEnvironment(gpus, {1});
  CHECK(std::find(env.begin(), env.end(), "VESTA_GPU=1") != env.end());
  CHECK(std::find(env.begin(), env.end(), "CUDA_VISIBLE_DEVICES=0") != env.end());
  CHECK(std::find(env.begin(), env.end(), "ROCR_VISIBLE_DEVICES=") != env.end());
  // Holding the iGPU hides every CUDA card rather than exposing CUDA's card 0.
  env = vesta::gpuEnvironment(gpus, {0});
  CHECK(std::find(env.begin(), env.end(), "CUDA_VISIBLE_DEVICES=") != env.end());
  CHECK(vesta::gpuDevices(gpus, {0}) == std::vector<std::string>{"/dev/dri/renderD128"});
}

TEST_CASE("no GPU: a firmware framebuffer, a missing tree", "[gpus]") {
  CHECK(vesta::readGpuList(dataPath("gpu/none")).empty());
  CHECK(vesta::readGpuList(dataPath("does-not-exist")).empty());
  CHECK(vesta::readGpus(dataPath("gpu/none")).count == 0);
  CHECK(vesta::readGpus(dataPath("gpu/mixed")).drivers ==
        std::vector<std::string>{"i915", "nvidia"});
}

TEST_CASE("GPUs are lent only with gpu_offer, never to a user's desk at in_use_offer_pct 0",
          "[gpus]") {
  using vesta::UserPresence;
  CHECK(vesta::gpuOffer(1, false, UserPresence::Away, 100, 1).lent == 0);
  CHECK(vesta::gpuOffer(1, false, UserPresence::Away, 100, 1).why_not ==
        "lends no GPU (gpu_offer is off)");
  CHECK(vesta::gpuOffer(0, true, UserPresence::Away, 100, 1).why_not == "has no GPU");
  CHECK(vesta::gpuOffer(2, true, UserPresence::Away, 0, 1).lent == 2);
  CHECK(vesta::gpuOffer(2, true, UserPresence::Unknown, 0, 1).lent == 2);
  auto active = vesta::gpuOffer(2, true, UserPresence::Active, 0, 1);
  CHECK(active.lent == 0);
  CHECK(active.why_not == "lends no GPU while its user is active (in_use_offer_pct is 0)");
  CHECK(vesta::gpuOffer(2, true, UserPresence::Active, 50, 1).lent == 2);
  CHECK(vesta::gpuOffer(2, true, UserPresence::Away, 100, 0).lent == 0);
}

TEST_CASE("one job per GPU: taken, refused with the holder's name, given back", "[gpus]") {
  vesta::GpuSlots slots;
  slots.setCount(1);
  CHECK(slots.whyNot("desk", 2) == "desk has 1 GPU, not 2");
  auto first = slots.take("a:4", "job 4", 1);
  REQUIRE(first);
  CHECK(*first == std::vector<unsigned>{0});
  CHECK(slots.free() == 0);
  CHECK_FALSE(slots.take("b:1", "job 1", 1));
  CHECK(slots.whyNot("desk", 1) == "desk's 1 GPU is busy with job 4");
  slots.release("a:4");
  CHECK(slots.free() == 1);
  CHECK(slots.whyNot("desk", 1).empty());

  slots.setCount(3);
  REQUIRE(slots.take("a:5", "job 5", 2));
  CHECK(slots.heldBy("a:5") == std::vector<unsigned>{0, 1});
  CHECK(*slots.take("b:2", "job 2", 1) == std::vector<unsigned>{2});
  CHECK(slots.whyNot("desk", 1) == "desk's 3 GPUs are busy with job 5 and job 2");
  slots.release("a:5");
  CHECK(slots.whyNot("desk", 3) == "1 of desk's 3 GPUs is busy with job 2");
  CHECK(*slots.take("c:9", "job 9", 2) == std::vector<unsigned>{0, 1});
  CHECK(vesta::GpuSlots().whyNot("pi4", 1) == "pi4 has no GPU");
}
