#include <catch2/catch.hpp>

#include "batch_stream.h"
#include "exec_proto.h"
#include "fanout.h"

using namespace vesta;

TEST_CASE("exec frames survive encode and decode", "[exec_proto]") {
  ExecOfferMsg offer;
  offer.job = 42;
  offer.argv = {"flac", "--best", "song.wav"};
  offer.timeout_ms = 60000;
  offer.mem_mb = 512;
  offer.files = {{"song.wav", Digest{1, 2, 3}, 1234, false}, {"tool", Digest{9}, 10, true}};
  offer.gets = {"*.flac"};
  auto o = decodeExecOffer(encode(offer));
  REQUIRE(o);
  CHECK(*o == offer);

  ExecPolicy policy{true, false, {"make", "/usr/bin/python3"}, 6};
  auto p = decodeExecPolicy(encode(policy));
  REQUIRE(p);
  CHECK(*p == policy);

  ExecAcceptMsg accept{42, {Digest{7}}};
  CHECK(*decodeExecAccept(encode(accept)) == accept);
  FileDataMsg data{42, Digest{7}, 65536, Bytes{1, 2, 3}};
  CHECK(*decodeFileData(encode(data)) == data);
  OutputMsg out{42, OutputStream::Stderr, Bytes{0, 255, 10}};
  CHECK(*decodeOutput(encode(out)) == out);
  CreditMsg credit{42, false, 4096};
  CHECK(*decodeCredit(encode(credit)) == credit);
  ExecExitMsg exit{42, 143, 15, false, ""};
  CHECK(*decodeExecExit(encode(exit)) == exit);
}

TEST_CASE("exec decoders refuse hostile input", "[exec_proto]") {
  ExecOfferMsg offer;
  offer.job = 1;
  offer.argv = {"true"};
  Bytes good = encode(offer);
  for (size_t cut = 0; cut < good.size(); ++cut)
    CHECK_FALSE(decodeExecOffer(std::span(good.data(), cut)));
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK_FALSE(decodeExecOffer(trailing));
  ExecOfferMsg empty = offer;
  empty.argv.clear();
  CHECK_FALSE(decodeExecOffer(encode(empty)));
  ExecOfferMsg nul = offer;
  nul.argv = {std::string("a\0b", 3)};
  CHECK_FALSE(decodeExecOffer(encode(nul)));
  ExecOfferMsg badName = offer;
  badName.files = {{"../etc/passwd", Digest{}, 1, false}};
  CHECK_FALSE(decodeExecOffer(encode(badName)));
  ExecOfferMsg twice = offer;
  twice.files = {{"a", Digest{}, 1, false}, {"a", Digest{1}, 1, false}};
  CHECK_FALSE(decodeExecOffer(encode(twice)));
  CHECK_FALSE(decodeCredit(encode(CreditMsg{1, true, 0})));
  CHECK_FALSE(decodeCredit(encode(CreditMsg{1, true, kStreamWindow + 1})));
  CHECK_FALSE(decodeOutput(encode(OutputMsg{1, OutputStream::Stdout, Bytes{}})));
  Bytes badStream = encode(OutputMsg{1, OutputStream::Stdout, Bytes{1}});
  badStream[8] = 5;
  CHECK_FALSE(decodeOutput(badStream));
  badStream[8] = 4;  // the command's state on its runner (paused, running again)
  REQUIRE(decodeOutput(badStream));
  CHECK(decodeOutput(badStream)->stream == OutputStream::State);
  CHECK_FALSE(decodeExecExit(encode(ExecExitMsg{1, 256, 0, false, ""})));
  CHECK_FALSE(decodeExecExit(encode(ExecExitMsg{1, -2, 0, false, ""})));
}

TEST_CASE("the --get stream parser takes records in any pieces", "[exec_proto]") {
  Bytes stream = encodeFileRecordHeader({"a.txt", 5});
  for (char c : std::string("hello")) stream.push_back(static_cast<uint8_t>(c));
  Bytes empty = encodeFileRecordHeader({"empty", 0});
  stream.insert(stream.end(), empty.begin(), empty.end());
  for (size_t piece : {size_t{1}, size_t{3}, stream.size()}) {
    FilesStreamParser parser;
    std::vector<std::string> events;
    std::string body;
    for (size_t i = 0; i < stream.size(); i += piece) {
      size_t n = std::min(piece, stream.size() - i);
      auto ok =
          parser.feed(std::span(stream.data() + i, n), [&](const FilesStreamParser::Event& e) {
            using Kind = FilesStreamParser::Event::Kind;
            if (e.kind == Kind::Begin) events.push_back("begin " + e.header.name);
            if (e.kind == Kind::End) events.push_back("end " + e.header.name);
            if (e.kind == Kind::Data) body.append(e.data.begin(), e.data.end());
          });
      REQUIRE(ok);
    }
    CHECK(events ==
          std::vector<std::string>{"begin a.txt", "end a.txt", "begin empty", "end empty"});
    CHECK(body == "hello");
    CHECK(parser.idle());
  }
  FilesStreamParser parser;
  Bytes evil = encodeFileRecordHeader({"../x", 1});
  CHECK_FALSE(parser.feed(evil, [](const FilesStreamParser::Event&) {}));
}

TEST_CASE("fan-out placeholders follow GNU parallel", "[fanout]") {
  const std::string arg = "music/take 1.wav";
  CHECK(expandPlaceholders("{}", arg, 7) == "music/take 1.wav");
  CHECK(expandPlaceholders("{.}.flac", arg, 7) == "music/take 1.flac");
  CHECK(expandPlaceholders("{/}", arg, 7) == "take 1.wav");
  CHECK(expandPlaceholders("{//}", arg, 7) == "music");
  CHECK(expandPlaceholders("{/.}", arg, 7) == "take 1");
  CHECK(expandPlaceholders("out-{#}", arg, 7) == "out-7");
  // parallel's own corner cases (placeholders_test.sh compares with parallel itself).
  CHECK(expandPlaceholders("{.}", ".bashrc", 1) == "");
  CHECK(expandPlaceholders("{//}", "music/", 1) == ".");
  CHECK(expandPlaceholders("{//}", "a/b/", 1) == "a");
  CHECK(expandPlaceholders("{.}", "v1.2/notes", 1) == "v1.2/notes");
  CHECK(expandPlaceholders("{x}", arg, 1) == "{x}");
  CHECK(expandCommand({"echo", "item", "{}"}, "a", 1) ==
        std::vector<std::string>{"echo", "item", "a"});
  CHECK(expandCommand({"gzip", "-9"}, "f", 1) == std::vector<std::string>{"gzip", "-9", "f"});
}

TEST_CASE("arguments after ::: are taken whole, dashes included", "[fanout]") {
  using W = std::vector<std::string>;
  auto plain = splitCommandArgs({"gzip", "-9"});
  REQUIRE(plain);
  CHECK(plain->command == W{"gzip", "-9"});
  CHECK_FALSE(plain->inlineArgs);
  auto inl = splitCommandArgs({"echo", "{}", ":::", "-n", "--x", "a b", ""});
  REQUIRE(inl);
  CHECK(inl->command == W{"echo", "{}"});
  CHECK(inl->args == W{"-n", "--x", "a b", ""});
  CHECK(inl->inlineArgs);
  auto file = splitCommandArgs({"flac", "{}", "::::", "list.txt"});
  REQUIRE(file);
  CHECK(file->argFile == "list.txt");
  CHECK(file->args.empty());
  auto none = splitCommandArgs({"true", ":::"});
  REQUIRE(none);
  CHECK(none->inlineArgs);
  CHECK(none->args.empty());
  CHECK(splitCommandArgs({":::", "a"}).error() ==
        "\":::\" with no command before it (vesta exec -- CMD {} ::: A B)");
  CHECK(splitCommandArgs({"echo", ":::", "a", ":::", "b"})
            .error()
            .rfind("a second \":::\": only one group", 0) == 0);
  CHECK_FALSE(splitCommandArgs({"echo", "::::"}));
  CHECK_FALSE(splitCommandArgs({"echo", "::::", "a", "b"}));
}

TEST_CASE("a batch offer survives encode and decode, and a bad one is refused", "[exec_proto]") {
  ExecOfferMsg offer;
  offer.job = 9;
  offer.argv = {"sh", "-c", "echo 1"};
  offer.framed = true;
  offer.batch = {{"sh", "-c", "echo 2"}, {"sh", "-c", ""}};
  auto back = decodeExecOffer(encode(offer));
  REQUIRE(back);
  CHECK(*back == offer);
  ExecOfferMsg alone = offer;  // a batch of argv alone: framed, nothing after it
  alone.batch.clear();
  auto aloneBack = decodeExecOffer(encode(alone));
  REQUIRE(aloneBack);
  CHECK(aloneBack->framed);
  CHECK(aloneBack->batch.empty());
  auto refusal = [](const ExecOfferMsg& m) {
    auto r = decodeExecOffer(encode(m));
    return r ? std::string() : r.error();
  };
  ExecOfferMsg other = offer;
  other.batch[1][0] = "rm";
  CHECK_THAT(refusal(other), Catch::Contains("run one program, sh, not rm"));
  ExecOfferMsg timed = offer;
  timed.timeout_ms = 5;
  CHECK_THAT(refusal(timed), Catch::Contains("a batch has no files, --get, stdin or timeout"));
  ExecOfferMsg piped = offer;
  piped.stdin_piped = true;
  CHECK_THAT(refusal(piped), Catch::Contains("a batch has no files"));
  ExecOfferMsg gpus = offer;
  gpus.gpus = 1;
  CHECK_THAT(refusal(gpus), Catch::Contains("a batch holds no GPUs"));
  ExecOfferMsg many = offer;
  many.batch.assign(kMaxBatchCommands, {"sh"});
  CHECK_THAT(refusal(many), Catch::Contains("a batch of 257 commands"));
  ExecOfferMsg wordy = offer;
  wordy.batch.assign(3, std::vector<std::string>(1500, "sh"));
  CHECK_THAT(refusal(wordy), Catch::Contains("more than 4096 arguments in all"));
  ExecOfferMsg emptyCommand = offer;
  emptyCommand.batch[0].clear();
  CHECK_THAT(refusal(emptyCommand), Catch::Contains("a batch command of 0 arguments"));
  Bytes flags = encode(alone);
  flags[flags.size() - 3] = 6;  // the flags byte, before the empty batch's u16 count
  CHECK_THAT(decodeExecOffer(flags).error(), Catch::Contains("flags byte is 6"));
}
