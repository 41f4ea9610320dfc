#include "core/strings.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;

TEST_CASE("strings: shell_split splits like /bin/sh without expanding") {
    std::vector<std::string> words;
    std::string error;
    REQUIRE(shell_split(R"(nginx -g 'daemon off;' "a \"b\"" c\ d $HOME)", words, error));
    CHECK(words == std::vector<std::string>{"nginx", "-g", "daemon off;", "a \"b\"", "c d", "$HOME"});
    CHECK_FALSE(shell_split("echo 'open", words, error));
    CHECK(error == "unterminated single quote");
}

TEST_CASE("strings: shell_quote round-trips through shell_split") {
    std::vector<std::string> argv = {"plain", "with space", "it's", "", "$x"};
    std::vector<std::string> words;
    std::string error;
    REQUIRE(shell_split(shell_join(argv), words, error));
    CHECK(words == argv);
}

TEST_CASE("strings: split, trim, last_lines, human units") {
    CHECK(split("a,b,,c", ',') == std::vector<std::string>{"a", "b", "", "c"});
    CHECK(trim("  x y \n") == "x y");
    CHECK(last_lines("1\n2\n3\n4\n", 2) == std::vector<std::string>{"3", "4"});
    CHECK(human_bytes(1536) == "1.5 KiB");
    CHECK(human_bytes(3 * 1024 * 1024) == "3.00 MiB");
    CHECK(human_seconds(125) == "2m05s");
    CHECK(human_seconds(0.25) == "250ms");
}
