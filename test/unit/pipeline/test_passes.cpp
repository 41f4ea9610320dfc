// The build pipeline's passes, without booting: their order and when they run, the options of
// the start config, composing it on the real kernel tree, and the outputs rendered from a context.
#include "context.hpp"

#include "core/fs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <cstdlib>

using namespace tinyx;
using namespace tinyx::pipeline;

namespace {

std::vector<std::string> names_that_run(const BuildContext& context) {
    std::vector<std::string> names;
    for (const auto& pass : build_passes())
        if (pass.runs(context)) names.emplace_back(pass.name);
    return names;
}

fs::path kernel_tree() {
    if (const char* env = std::getenv("TINYX_KERNEL_SRC")) return env;
    return cache_dir().value_or("/nonexistent") / "kernel-src" / "linux-source-6.1";
}

} // namespace

TEST_CASE("pipeline: one flat list of passes, the pruning ones only with --prune and --prune-what", "[pipeline]") {
    std::vector<std::string> all;
    for (const auto& pass : build_passes()) all.emplace_back(pass.name);
    CHECK(all == std::vector<std::string>{"gather", "config", "prune", "build", "prune_files", "prune_boot_options", "optimize", "verify"});

    BuildRequest request;
    BuildContext plain(request);
    CHECK(names_that_run(plain) == std::vector<std::string>{"gather", "config", "build", "optimize", "verify"});
    // Both compressions fixed (flags, or a profile's record): nothing to measure.
    BuildContext fixed(request);
    fixed.compression.initramfs = find_compression("xz", "x").value();
    fixed.compression.kernel = find_compression("xz", "x").value();
    CHECK(names_that_run(fixed) == std::vector<std::string>{"gather", "config", "build", "verify"});
    fixed.compression.kernel = nullptr;
    fixed.compression.kernel_kept = true; // arm64, Firecracker's vmlinux, an older profile
    CHECK(names_that_run(fixed) == std::vector<std::string>{"gather", "config", "build", "verify"});
    request.prune = true;
    request.prune_kernel = false;
    request.prune_boot_options = false;
    BuildContext files_only(request);
    CHECK(names_that_run(files_only) == std::vector<std::string>{"gather", "config", "build", "prune_files", "optimize", "verify"});
}

TEST_CASE("pipeline: the start config wants the baselet, then the profile's options, and keeps off what it removed", "[pipeline]") {
    BuildRequest request;
    auto profile = profiles::load_profile(fs::path(TINYX_SOURCE_DIR) / "profiles/apps/busybox-httpd.json");
    REQUIRE(profile);
    auto wanted = wanted_options(request, *profile, "qemu-x86_64");
    REQUIRE(wanted);
    CHECK(wanted->baselet.name == "qemu-x86_64");
    REQUIRE(wanted->all.size() > wanted->baselet.options.size());
    CHECK(wanted->all.front() == wanted->baselet.options.front());
    CHECK(wanted->candidates == profile->options);
    // Everything the profile's pruning removed comes back as "n", after the wanted options.
    const auto& removed = profile->pruning["removed"];
    REQUIRE(removed.size() >= 1);
    const auto first_removed = removed.front().get<std::string>();
    auto it = std::find_if(wanted->all.begin(), wanted->all.end(), [&](const auto& o) { return o.symbol == first_removed; });
    REQUIRE(it != wanted->all.end());
    CHECK(it->value == "n");

    // Without a profile: the server pool.
    auto pool = wanted_options(request, std::nullopt, "qemu-x86_64");
    REQUIRE(pool);
    CHECK(pool->candidates.size() >= 50);
}

TEST_CASE("pipeline: the config pass composes tinyconfig + the wanted options on the real tree, loading it once", "[pipeline][kernel]") {
    if (!fs::exists(kernel_tree() / "Kconfig"))
        FAIL("no kernel tree at " << kernel_tree().string() << " (extract /usr/src/linux-source-6.1.tar.xz with scripts/test, or set TINYX_KERNEL_SRC)");
    BuildRequest request;
    BuildContext context(request);
    auto tree = kconfig::locate_source_tree(kernel_tree(), "x86_64");
    REQUIRE(tree);
    context.tree = *tree;
    auto wanted = wanted_options(request, std::nullopt, "qemu-x86_64");
    REQUIRE(wanted);
    context.wanted = *wanted;
    REQUIRE(compose_start_config(context));
    REQUIRE(context.kconfig); // loaded here, kept for the passes after
    const auto* loaded = context.kconfig.get();
    auto values = kconfig::parse_config_values(context.start.text);
    CHECK(values["64BIT"] == "y");
    CHECK(values["VIRTIO_NET"] == "y");
    CHECK(context.final_config == context.start.text);
    CHECK(context.start.inputs.find("CONFIG_VIRTIO_NET=y") != std::string::npos);

    // Compressions fixed before the build: the start config has them, one decompressor only.
    context.compression.initramfs = find_compression("zstd", "x").value();
    context.compression.kernel = find_compression("gzip", "x").value();
    REQUIRE(compose_start_config(context));
    values = kconfig::parse_config_values(context.start.text);
    CHECK(values["KERNEL_GZIP"] == "y");
    CHECK(values["KERNEL_XZ"] == "n");
    CHECK(values["RD_ZSTD"] == "y");
    CHECK(values["RD_XZ"] == "n");
    CHECK(values["RD_GZIP"] == "n");
    context.compression.legacy = true; // an older profile's kernel: as it was built
    REQUIRE(compose_start_config(context));
    values = kconfig::parse_config_values(context.start.text);
    CHECK(values["KERNEL_XZ"] == "y");
    CHECK(values["RD_GZIP"] == "y");
    context.compression = {};

    context.wanted.all.push_back({"NO_SUCH_OPTION_ANYWHERE", "y", "a typo"});
    auto missing = compose_start_config(context);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().exit == Exit::bad_input);
    CHECK(missing.error().message.find("NO_SUCH_OPTION_ANYWHERE") != std::string::npos);
    CHECK(context.kconfig.get() == loaded); // not loaded a second time
}

TEST_CASE("pipeline: report.json and summary.md are rendered from the context, once", "[pipeline]") {
    BuildRequest request;
    BuildContext context(request);
    context.app.app = "busybox-static";
    context.app.run = "busybox httpd -f -p 80";
    context.tree.version = "6.1.0";
    context.tree.arch = *find_arch("x86_64");
    context.platform = *harness::find_platform("qemu-pc");
    context.kernel.bytes = 1000000;
    context.kernel.config_hash = "abcd";
    context.image.image = "/out/initramfs.cpio.xz";
    context.image.image_bytes = 500000;
    context.image.entries = 12;
    context.image.compression = "xz";
    context.wanted.candidates = {{"EPOLL", "y", "epoll for servers"}, {"IPV6", "y", "IPv6"}};
    context.final_config = "CONFIG_EPOLL=y\n# CONFIG_IPV6 is not set\n";
    context.seconds = {{"gather", 1.0}, {"build", 2.0}};
    for (int i = 0; i < 3; ++i) {
        harness::BootRun run;
        run.verdict = harness::Verdict::pass;
        run.seconds.app_started = 1.5 + 0.1 * i;
        run.seconds.init = 0.9;
        run.guest_ms = {.init = 400, .app_started = 1000, .run_init_us = 300000, .unpack_start_us = 100000,
                        .unpack_end_us = 250000, .init_start = 310, .app_launch = 700};
        context.verified.boots.push_back(run);
    }
    context.verified.verdict = harness::Verdict::pass;
    context.verified.min_memory_mb = 40;
    context.verified.memory_trials = {{64, harness::Verdict::pass}, {40, harness::Verdict::pass}, {24, harness::Verdict::boot_failed}};
    CompressionCandidate xz, zstd;
    xz.part = zstd.part = "initramfs";
    xz.name = "xz";
    xz.bytes = 500000;
    xz.setting_bytes = 1500000;
    xz.boot_seconds = {1.7, 1.8, 1.75};
    xz.median = 1.75;
    zstd.name = "zstd";
    zstd.bytes = 560000;
    zstd.setting_bytes = 1560000;
    zstd.boot_seconds = {1.2, 1.3, 1.25};
    zstd.median = 1.25;
    zstd.chosen = true;
    context.compression.table = {xz, zstd};
    context.compression.why = "balanced: ...";

    auto kept = kept_options(context);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].symbol == "EPOLL");
    CHECK(kept[0].why == "candidate pool (not pruned): epoll for servers");

    auto report = render_report(context);
    CHECK(report["verdict"] == "pass");
    CHECK(report["kernel"]["arch"] == "x86_64");
    CHECK(report["kernel"]["image"] == "bzImage");
    CHECK(report["kernel"]["options_on_top_of_tinyconfig"] == 1);
    CHECK(report["image"]["initramfs_bytes"] == 500000);
    CHECK(report["verify"]["passed"] == 3);
    CHECK(report["verify"]["boot_seconds"] == 1.5);
    CHECK(report["pruning"].is_null());
    CHECK(report["file_pruning"].is_null());
    CHECK(report["outputs"][0] == "bzImage");
    CHECK(report["seconds"]["build"] == 2.0);

    auto summary = render_summary(report, kept);
    CHECK(summary.find("# tinyx build: busybox-static") == 0);
    CHECK(summary.find("Result: **pass**") != std::string::npos);
    CHECK(summary.find("| kernel (bzImage) |") != std::string::npos);
    CHECK(summary.find("Verification: 3/3 boots passed") != std::string::npos);
    CHECK(summary.find("- `EPOLL=y` — candidate pool (not pruned): epoll for servers") != std::string::npos);
    // The smallest memory, where the boot's time went (medians), the compression table.
    CHECK(report["memory"]["min_mb"] == 40);
    CHECK(report["memory"]["min_mb_boots"] == 3);
    CHECK(summary.find("Smallest memory that passes: 40 MB") != std::string::npos);
    CHECK(report["verify"]["boot_seconds_median"] == Approx(1.6));
    CHECK(report["verify"]["phases"]["initramfs_unpack"] == Approx(0.15));
    CHECK(report["verify"]["phases"]["kernel_init"] == Approx(0.15));
    CHECK(report["verify"]["phases"]["init"] == Approx(0.4));
    CHECK(report["verify"]["phases"]["app_start"] == Approx(0.3));
    CHECK(report["verify"]["phases"]["before_kernel"] == Approx(0.5));
    CHECK(summary.find("| initramfs unpack | 0.15 |") != std::string::npos);
    CHECK(report["compression"]["measured"] == true);
    CHECK(report["compression"]["candidates"][1]["chosen"] == true);
    CHECK(summary.find("## Compression") != std::string::npos);
    CHECK(summary.find("| initramfs | zstd |") != std::string::npos);
    CHECK(summary.find("**chosen**") != std::string::npos);

    // A failed test with another app's profile: the reason says how to decide this app's own options.
    context.verified.verdict = harness::Verdict::test_failed;
    context.verified.reason = "the host test exited with status 7";
    profiles::Profile other;
    other.name = "nginx";
    other.app = profiles::AppSpec{};
    other.app->app = "nginx-light";
    context.profile = other;
    auto failed = render_report(context);
    CHECK(failed["verdict"] == "fail");
    CHECK(failed["reason"].get<std::string>().find("the host test exited with status 7 (the kernel options come from profile nginx") == 0);
}

TEST_CASE("pipeline: a Firecracker build lists vm-config.json, which boots the shipped files as tested", "[pipeline]") {
    BuildRequest request;
    BuildContext context(request);
    context.tree.arch = *find_arch("x86_64");
    context.platform = *harness::find_platform("firecracker");
    context.image.image = "/out/initramfs.cpio.xz";
    context.test.append = "8250.nr_uarts=2";
    context.test.memory_mb = 96;

    auto report = render_report(context);
    CHECK(report["platform"] == "firecracker");
    CHECK(report["kernel"]["image"] == "vmlinux");
    CHECK(std::find(report["outputs"].begin(), report["outputs"].end(), "vm-config.json") != report["outputs"].end());

    auto vm = firecracker_config(context);
    CHECK(vm["boot-source"]["kernel_image_path"] == "vmlinux");
    CHECK(vm["boot-source"]["initrd_path"] == "initramfs.cpio.xz"); // relative: run from --out
    const auto args = vm["boot-source"]["boot_args"].get<std::string>();
    CHECK(args.find("console=ttyS0") == 0);
    CHECK(args.find("8250.nr_uarts=2") != std::string::npos); // the command line the image was tested with
    CHECK(args.find("tinyx_channel") == std::string::npos);   // a production boot: no marker channel
    CHECK(vm["machine-config"]["mem_size_mib"] == 96);         // the memory it was verified with
    CHECK(vm["drives"].empty());
    CHECK(vm["network-interfaces"][0]["host_dev_name"] == "tap0");

    context.platform = *harness::find_platform("qemu-microvm");
    auto microvm = render_report(context);
    CHECK(microvm["kernel"]["image"] == "bzImage");
    CHECK(std::find(microvm["outputs"].begin(), microvm["outputs"].end(), "vm-config.json") == microvm["outputs"].end());
}

TEST_CASE("pipeline: the memory an initramfs needs to unpack, from its archive and files", "[pipeline]") {
    auto manifest_of = [](int files, std::uint64_t size) {
        Json manifest{{"files", Json::array()}};
        for (int i = 0; i < files; ++i) manifest["files"].push_back(Json{{"path", "/f" + std::to_string(i)}, {"size", size}});
        return manifest;
    };
    // nginx's image: 3 MB of xz, ~10 MB of files in ~100 entries; it passes in 48 MB.
    CHECK(initramfs_memory_mb(3u << 20, manifest_of(100, 100u << 10)) <= 48);
    // PostgreSQL's uncompressed trial archive: ~300 MB of files, which failed to unpack in 704 MB
    // ("Initramfs unpacking failed: write error": a tmpfs root gets half of what is not reserved).
    const auto postgres = manifest_of(4300, 72u << 10);
    CHECK(initramfs_memory_mb(310u << 20, postgres) > 900);
    // More files or a bigger archive never need less.
    CHECK(initramfs_memory_mb(64u << 20, postgres) < initramfs_memory_mb(310u << 20, postgres));
    CHECK(initramfs_memory_mb(3u << 20, manifest_of(100, 100u << 10)) < initramfs_memory_mb(3u << 20, manifest_of(200, 100u << 10)));
}

namespace {

pipeline::CompressionCandidate row(const char* name, std::uint64_t bytes, std::uint64_t other, std::optional<double> boot) {
    pipeline::CompressionCandidate candidate;
    candidate.part = "initramfs";
    candidate.name = name;
    candidate.bytes = bytes;
    candidate.setting_bytes = bytes + other;
    candidate.median = boot;
    return candidate;
}

} // namespace

TEST_CASE("optimize: the rule per goal over measured candidates") {
    // nginx's image as measured by hand (issue 26), with a 1.35 MB kernel.
    const std::uint64_t kernel = 1'352'704;
    std::vector<pipeline::CompressionCandidate> images = {
        row("xz", 3'098'900, kernel, 1.76), row("zstd", 3'511'863, kernel, 1.25),
        row("gzip", 4'100'242, kernel, 1.18), row("none", 9'856'452, kernel, 1.05)};
    const std::uint64_t smallest = 3'098'900 + kernel;
    CHECK(images[pipeline::choose_compression("size", images, smallest)].name == "xz");
    CHECK(images[pipeline::choose_compression("boot", images, smallest)].name == "none");
    // balanced: gzip boots faster but is 1.23x the smallest; zstd is 1.09x.
    CHECK(images[pipeline::choose_compression("balanced", images, smallest)].name == "zstd");
    CHECK(pipeline::needs_boot("balanced", images[1], smallest));
    CHECK_FALSE(pipeline::needs_boot("balanced", images[2], smallest));
    CHECK_FALSE(pipeline::needs_boot("size", images[0], smallest));
    CHECK(pipeline::needs_boot("boot", images[3], smallest));
    // A candidate whose boots failed (no median) is never chosen; nothing booted: the fewest bytes.
    images[1].median.reset();
    CHECK(images[pipeline::choose_compression("balanced", images, smallest)].name == "xz");
    for (auto& image : images) image.median.reset();
    CHECK(images[pipeline::choose_compression("boot", images, smallest)].name == "xz");
    // Ties go to the fewer bytes.
    std::vector<pipeline::CompressionCandidate> tie = {row("gzip", 200, 0, 1.0), row("xz", 100, 0, 1.0)};
    CHECK(tie[pipeline::choose_compression("boot", tie, 100)].name == "xz");
    CHECK(pipeline::median({3.0, 1.0, 2.0}) == 2.0);
    CHECK(pipeline::median({1.0, 2.0}) == 1.5);
}

TEST_CASE("optimize: a kernel compressed one way keeps only the initramfs decompressor its image needs") {
    auto zstd = find_compression("zstd", "x").value();
    auto none = find_compression("none", "x").value();
    auto values = pipeline::compression_settings(zstd, zstd);
    std::map<std::string, std::string> set(values.begin(), values.end());
    CHECK(set.at("KERNEL_ZSTD") == "y");
    CHECK(set.at("KERNEL_XZ") == "n");
    CHECK(set.at("KERNEL_GZIP") == "n");
    CHECK(set.at("RD_ZSTD") == "y");
    for (const char* other : {"RD_GZIP", "RD_BZIP2", "RD_LZMA", "RD_XZ", "RD_LZO", "RD_LZ4"}) CHECK(set.at(other) == "n");
    // An uncompressed image needs no decompressor; a kernel left as it is sets no KERNEL_ symbol.
    values = pipeline::compression_settings(nullptr, none);
    set = {values.begin(), values.end()};
    CHECK(set.count("KERNEL_XZ") == 0);
    CHECK(set.at("RD_XZ") == "n");
    CHECK(set.at("RD_ZSTD") == "n");
    CHECK(pipeline::compression_settings(nullptr, nullptr).empty());
}
