#include "pruner/code_map.hpp"
#include "pruner/trace.hpp"

#include "core/fs.hpp"
#include "core/strings.hpp"

#include <catch2/catch.hpp>

using namespace tinyx;
using namespace tinyx::pruner;

namespace {

// A small tree with the rule shapes the kernel uses: conditional objects and
// directories, $(SRCARCH), continuation lines, ifdef blocks, composite objects.
TempDir make_tree() {
    auto dir = TempDir::create("tinyx-kbuild-test-");
    REQUIRE(dir);
    auto put = [&](const std::string& path, const std::string& text) {
        REQUIRE(make_directories((dir->path() / path).parent_path()));
        REQUIRE(write_file_atomic(dir->path() / path, text));
    };
    put("Kbuild", "obj-y += fs/\nobj-$(CONFIG_NET)\t+= net/\nobj-y += arch/$(SRCARCH)/\n");
    put("Makefile", "# the top Makefile has no object rules here\nVERSION = 6\n");
    put("fs/Makefile",
        "obj-y := open.o read_write.o \\\n\t\tnamei.o\n"
        "obj-$(CONFIG_EPOLL) += eventpoll.o # epoll\n"
        "obj-$(CONFIG_EXT4_FS) += ext4.o\n"
        "ext4-y := super.o inode.o\n"
        "ext4-$(CONFIG_EXT4_FS_POSIX_ACL) += acl.o\n"
        "ifdef CONFIG_FILE_LOCKING\nobj-y += locks.o\nelse\nobj-y += nolocks.o\nendif\n"
        "ifeq ($(CONFIG_AIO),)\nobj-y += noaio.o\nendif\n"
        "obj-$(subst m,y,$(CONFIG_BINFMT_MISC)) += binfmt_misc.o\n");
    put("net/Makefile", "obj-$(CONFIG_INET) += ipv4/\nobj-y += core/\n");
    put("net/ipv4/Makefile", "obj-y := tcp.o\nobj-$(CONFIG_SYN_COOKIES) += syncookies.o\n");
    put("arch/x86/Kbuild", "obj-y += kernel/\n");
    put("arch/x86/kernel/Makefile", "obj-$(CONFIG_X86_MSR) += msr.o\nobj-y += setup.o\n");
    return std::move(*dir);
}

using Options = std::vector<std::string>;

} // namespace

TEST_CASE("kbuild rules: an object's options come from its rule and the directories above it", "[pruner][trace]") {
    auto tree = make_tree();
    KbuildRules rules(tree.path(), "x86");
    CHECK(rules.options_for("fs/eventpoll.o") == Options{"EPOLL"});
    CHECK(rules.options_for("fs/namei.o").empty()); // obj-y over a continuation line
    CHECK(rules.options_for("fs/ext4.o") == Options{"EXT4_FS"});
    CHECK(rules.options_for("fs/acl.o") == Options{"EXT4_FS", "EXT4_FS_POSIX_ACL"}); // part of composite ext4.o
    CHECK(rules.options_for("fs/locks.o") == Options{"FILE_LOCKING"});
    CHECK(rules.options_for("fs/nolocks.o").empty());
    CHECK(rules.options_for("fs/noaio.o").empty()); // built when AIO is off: AIO is not its option
    CHECK(rules.options_for("fs/binfmt_misc.o") == Options{"BINFMT_MISC"});
    CHECK(rules.options_for("net/ipv4/tcp.o") == Options{"INET", "NET"});
    CHECK(rules.options_for("net/ipv4/syncookies.o") == Options{"INET", "NET", "SYN_COOKIES"});
    CHECK(rules.options_for("net/core/dev.o") == Options{"NET"});
    CHECK(rules.options_for("arch/x86/kernel/msr.o") == Options{"X86_MSR"}); // through arch/$(SRCARCH)/
    CHECK(rules.options_for("arch/x86/kernel/setup.o").empty());
    CHECK(rules.options_for("nowhere/unknown.o").empty());
}

TEST_CASE("code map: addresses map to functions, objects and options", "[pruner][trace]") {
    auto tree = make_tree();
    const std::string system_map = "ffffffff81000000 T _stext\n"
                                   "ffffffff81000000 T startup_64\n"
                                   "ffffffff81000100 t show\n"          // fs/open.o's static show
                                   "ffffffff81000180 T do_sys_open\n"
                                   "ffffffff81000200 t ep_poll\n"
                                   "ffffffff81000300 t show\n"          // eventpoll.o's static show
                                   "ffffffff81000340 T sys_epoll_wait\n"
                                   "ffffffff81000400 T tcp_sendmsg\n"
                                   "ffffffff81001000 D some_data\n"
                                   "ffffffff81002000 T _etext\n";
    const std::string nm = "vmlinux.a:arch/x86/kernel/setup.o:0000000000000000 T startup_64\n"
                           "vmlinux.a:fs/open.o:0000000000000000 t show\n"
                           "vmlinux.a:fs/open.o:0000000000000080 T do_sys_open\n"
                           "vmlinux.a:fs/eventpoll.o:0000000000000000 t ep_poll\n"
                           "vmlinux.a:fs/eventpoll.o:0000000000000100 t show\n"
                           "vmlinux.a:fs/eventpoll.o:0000000000000140 T sys_epoll_wait\n"
                           "vmlinux.a:fs/eventpoll.o:0000000000000000 D ep_data\n"
                           "vmlinux.a:net/ipv4/tcp.o:0000000000000000 T tcp_sendmsg\n"
                           "\nlib/lib.a:\n";
    auto map = CodeMap::from_text(system_map, nm, KbuildRules(tree.path(), "x86"));
    CHECK(map.object_count() == 4);
    CHECK(map.owner_of(0xffffffff80ffffffULL) == nullptr);

    const auto* epoll = map.owner_of(0xffffffff81000234ULL);
    REQUIRE(epoll);
    CHECK(epoll->function == "ep_poll");
    CHECK(epoll->objects == Options{"fs/eventpoll.o"});
    CHECK(epoll->options == Options{"EPOLL"});

    // The same static name in two files: its neighbours say which.
    const auto* first_show = map.owner_of(0xffffffff81000110ULL);
    REQUIRE(first_show);
    CHECK(first_show->objects == Options{"fs/open.o"});
    CHECK(first_show->options.empty());
    const auto* second_show = map.owner_of(0xffffffff81000310ULL);
    REQUIRE(second_show);
    CHECK(second_show->objects == Options{"fs/eventpoll.o"});

    const auto* tcp = map.owner_of(std::string("tcp_sendmsg"));
    REQUIRE(tcp);
    CHECK(tcp->options == Options{"INET", "NET"});
    // Two names at one address: the one an object defines is found.
    CHECK(map.owner_of(0xffffffff81000000ULL)->objects == Options{"arch/x86/kernel/setup.o"});
}

TEST_CASE("in_asm log: instruction addresses and translated blocks", "[pruner][trace]") {
    const std::string log = "----------------\n"
                            "IN: \n"
                            "0xffffffff810000ac:  0f 01 15 4d ef a0 00     lgdtq    0xa0ef4d(%rip)\n"
                            "0xffffffff810000b3:  31 c0                    xorl     %eax, %eax\n"
                            "\n"
                            "----------------\n"
                            "IN: ep_poll\n"
                            "0xffffffff81000200:  55                       pushq    %rbp\n"
                            "----------------\n"
                            "IN: \n"
                            "0xffffffff810000ac:  0f 01 15 4d ef a0 00     lgdtq    0xa0ef4d(%rip)\n" // retranslated
                            "not an address line\n";
    auto code = parse_in_asm(log);
    CHECK(code.blocks == 2);
    CHECK(code.addresses == std::vector<std::uint64_t>{0xffffffff810000acULL, 0xffffffff810000b3ULL, 0xffffffff81000200ULL});
}

TEST_CASE("trace: candidates are classified by executed code, and the hint orders them", "[pruner][trace]") {
    auto tree = make_tree();
    const std::string system_map = "ffffffff81000000 T do_sys_open\n"
                                   "ffffffff81000100 t ep_poll\n"
                                   "ffffffff81000200 T tcp_sendmsg\n"
                                   "ffffffff81000300 T msr_read\n"
                                   "ffffffff81000400 T _etext\n"
                                   "ffffffff81100000 T _sinittext\n"
                                   "ffffffff81100000 t eventpoll_init\n"
                                   "ffffffff81100100 T _einittext\n";
    const std::string nm = "vmlinux.a:fs/open.o:0000000000000000 T do_sys_open\n"
                           "vmlinux.a:fs/eventpoll.o:0000000000000000 t ep_poll\n"
                           "vmlinux.a:net/ipv4/tcp.o:0000000000000000 T tcp_sendmsg\n"
                           "vmlinux.a:arch/x86/kernel/msr.o:0000000000000000 T msr_read\n"
                           "vmlinux.a:fs/eventpoll.o:0000000000000000 t eventpoll_init\n";
    auto map = CodeMap::from_text(system_map, nm, KbuildRules(tree.path(), "x86"));
    ExecutedCode executed;
    // do_sys_open, tcp_sendmsg, and EPOLL's initcall (boot-time code runs for every built-in option)
    executed.addresses = {0xffffffff81000010ULL, 0xffffffff81000210ULL, 0xffffffff81100010ULL};
    executed.blocks = 2;
    auto coverage = classify(map, executed, {"EPOLL", "INET", "NET", "X86_MSR", "SHMEM"}, nullptr);
    CHECK(coverage.functions_executed == 2);
    CHECK(coverage.functions_total == 7);
    CHECK(coverage.objects_executed == 2);
    CHECK(coverage.candidates.at("INET") == TraceClass::ran);
    CHECK(coverage.candidates.at("NET") == TraceClass::ran);
    CHECK(coverage.candidates.at("EPOLL") == TraceClass::not_ran);
    CHECK(coverage.candidates.at("X86_MSR") == TraceClass::not_ran);
    CHECK(coverage.candidates.at("SHMEM") == TraceClass::no_code);
    CHECK(coverage.evidence.at("INET").front() == "tcp_sendmsg (net/ipv4/tcp.o)");

    TraceHint hint(coverage);
    auto groups = hint.initial_groups({"X86_MSR", "SHMEM", "INET", "EPOLL", "NET"});
    // Never ran (X86_MSR, EPOLL) and no code the trace could judge (SHMEM): together, first.
    REQUIRE(groups.size() == 1);
    CHECK(groups[0] == std::vector<Item>{"X86_MSR", "SHMEM", "EPOLL"});
    // INET and NET ran: left to the engine's adaptive phase, which starts with small groups.
    CHECK(hint.expected_needed_share_left() > 1.0 / 32); // above plain group's prior

    // The saved form round-trips (a resumed run uses the same hint).
    auto again = coverage_from_json(coverage_json(coverage));
    REQUIRE(again);
    CHECK(again->candidates == coverage.candidates);
    CHECK(again->evidence == coverage.evidence);
    // The start config's build is counted once, also by a resumed run that reloads the file.
    CHECK_FALSE(again->start_build_seconds); // classify() alone built nothing
    coverage.start_build_seconds = 42;
    auto resumed = coverage_from_json(coverage_json(coverage));
    REQUIRE(resumed);
    REQUIRE(resumed->start_build_seconds);
    CHECK(*resumed->start_build_seconds == 42);
}
