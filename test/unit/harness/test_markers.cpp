#include "markers.hpp"

#include <catch2/catch.hpp>

using namespace tinyx::harness;

TEST_CASE("parse_marker_line accepts only markers with this boot's nonce at the start of a line") {
    auto marker = parse_marker_line("@@tinyx:abc123:test-exit:4321:7\r", "abc123");
    REQUIRE(marker);
    CHECK(marker->event == "test-exit");
    CHECK(marker->uptime_ms == 4321);
    CHECK(marker->value == "7");

    auto no_value = parse_marker_line("@@tinyx:abc123:app-started:10", "abc123");
    REQUIRE(no_value);
    CHECK(no_value->value.empty());

    auto words = parse_marker_line("@@tinyx:abc123:init-error:10:ports 80: closed", "abc123");
    REQUIRE(words);
    CHECK(words->value == "ports 80: closed");

    CHECK_FALSE(parse_marker_line("@@tinyx::test-exit:1:0", "abc123"));          // no nonce
    CHECK_FALSE(parse_marker_line("@@tinyx:abc12:test-exit:1:0", "abc123"));     // a prefix of it
    CHECK_FALSE(parse_marker_line("@@tinyx:abc1234:test-exit:1:0", "abc123"));   // longer
    CHECK_FALSE(parse_marker_line("@@tinyx:ABC123:test-exit:1:0", "abc123"));    // another nonce
    CHECK_FALSE(parse_marker_line("echo @@tinyx:abc123:test-exit:1:0", "abc123")); // not at the start
    CHECK_FALSE(parse_marker_line("@@tinyx:abc123:test-exit:soon:0", "abc123"));  // no uptime
    CHECK_FALSE(parse_marker_line("@@tinyx:abc123::1:0", "abc123"));             // no event
    CHECK_FALSE(parse_marker_line("@@tinyx::app-started:1", ""));                // no nonce to match
}

TEST_CASE("ChannelParser takes markers of this nonce only after the init's hello, across arbitrary chunks") {
    ChannelParser parser("feed01");
    std::string channel = "@@tinyx:feed01:init:1:2\r\n"          // before the hello: not from the init
                          "\n@@tinyx-hello:2\n"
                          "@@tinyx:feed01:init:100:2\n"
                          "app says @@tinyx:feed01:app-started:5\n" // not at the start of the line
                          "@@tinyx:0000:test-exit:7:0\n"            // a wrong nonce
                          "@@tinyx::test-exit:7:0\n"                // none
                          "\n@@tinyx:feed01:app-started:200\r\n"
                          "\n@@tinyx:feed01:test-exit:300:0\n";
    std::vector<Marker> markers;
    for (std::size_t i = 0; i < channel.size(); i += 7) {
        auto found = parser.feed(std::string_view(channel).substr(i, 7));
        markers.insert(markers.end(), found.begin(), found.end());
    }
    REQUIRE(parser.hello());
    CHECK(*parser.hello() == "2");
    REQUIRE(markers.size() == 3);
    CHECK(markers[0].event == "init");
    CHECK(markers[0].uptime_ms == 100);
    CHECK(markers[1].event == "app-started");
    CHECK(markers[1].uptime_ms == 200);
    CHECK(markers[2].event == "test-exit");
    CHECK(markers[2].value == "0");
}

TEST_CASE("ConsoleParser never yields markers; it keeps the panic line, the init's complaint and the last lines") {
    ConsoleParser parser;
    parser.feed("one\r\n@@tinyx:n:test-exit:1:0\r\ntwo\r\n[ 1.0] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n"
                "tinyx-init: error: cannot open the marker channel /dev/ttyS1\r\nafter\r\npartial");
    REQUIRE(parser.panic_line());
    CHECK(*parser.panic_line() == "[ 1.0] Kernel panic - not syncing: VFS: Unable to mount root fs");
    REQUIRE(parser.init_error_line());
    CHECK(*parser.init_error_line() == "tinyx-init: error: cannot open the marker channel /dev/ttyS1");
    auto tail = parser.tail(3);
    REQUIRE(tail.size() == 3);
    CHECK(tail[0] == "tinyx-init: error: cannot open the marker channel /dev/ttyS1");
    CHECK(tail[1] == "after");
    CHECK(tail[2] == "partial");
    CHECK(parser.tail(100).size() == 7); // empty lines are not evidence
}

TEST_CASE("LineSplitter cuts runaway lines and keeps the unterminated tail") {
    LineSplitter lines;
    auto first = lines.feed(std::string(10000, 'x') + "\r\nshort\nrest");
    REQUIRE(first.size() == 2);
    CHECK(first[0].size() == 4096);
    CHECK(first[1] == "short");
    CHECK(lines.partial() == "rest");
    CHECK(lines.finish() == std::optional<std::string>("rest"));
    CHECK_FALSE(lines.finish());
}

TEST_CASE("base64_encode pads like the standard alphabet") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("exit 1\n") == "ZXhpdCAxCg==");
    CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("make_nonce gives a fresh hex token each time") {
    auto a = make_nonce();
    auto b = make_nonce();
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != b);
}
