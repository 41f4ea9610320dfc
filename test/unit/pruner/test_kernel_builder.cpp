#include "pruner/kernel_builder.hpp"

#include "core/fs.hpp"
#include "core/process.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

using namespace tinyx;
using namespace tinyx::pruner;

namespace {
// A kernel tree as the builder gets it: located and checked by kconfig (here, by hand).
kconfig::SourceTree tree_at(const fs::path& root, const char* arch = "x86_64") {
    return kconfig::SourceTree{root, root, "6.1.0", *find_arch(arch)};
}

// flock(1) -n: succeeds only if nobody holds the lock.
bool lock_is_free(const fs::path& path) {
    ProcessSpec spec;
    spec.argv = {"flock", "-n", path.string(), "true"};
    auto run = run_process(spec);
    return run && run->success();
}
} // namespace

TEST_CASE("kernel builder: out-of-tree make command lines with ccache", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-builder-");
    REQUIRE(dir);
    REQUIRE(make_directories(dir->path() / "src"));
    REQUIRE(write_file_atomic(dir->path() / "src" / "Makefile", "all:\n"));
    KernelBuildOptions options;
    options.tree = tree_at(dir->path() / "src");
    options.build_dir = dir->path() / "build";
    options.jobs = 2;
    auto builder = KernelBuilder::create(options);
    REQUIRE(builder);
    auto argv = builder->make_argv("bzImage");
    auto has = [&](const std::string& a) { return std::find(argv.begin(), argv.end(), a) != argv.end(); };
    CHECK(has("O=" + (dir->path() / "build").string()));
    CHECK(has("ARCH=x86_64"));
    CHECK(has("-j2"));
    CHECK(argv.back() == "bzImage");
    if (find_program("ccache")) CHECK(has("CC=ccache gcc"));
    CHECK(fs::is_directory(dir->path() / "build"));
    CHECK(builder->make_argv("olddefconfig") ==
          std::vector<std::string>{"make", "-C", (dir->path() / "src").string(), "O=" + (dir->path() / "build").string(),
                                   "ARCH=x86_64", "olddefconfig"});
}

TEST_CASE("kernel builder: another architecture's kernel is cross-built, ccache in front of its compiler", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-builder-");
    REQUIRE(dir);
    REQUIRE(make_directories(dir->path() / "src"));
    KernelBuildOptions options;
    options.tree = tree_at(dir->path() / "src", "arm64");
    options.build_dir = dir->path() / "build";
    options.jobs = 2;
    REQUIRE(find_program("aarch64-linux-gnu-gcc")); // scripts/setup installs it: a missing one fails here, by name
    auto builder = KernelBuilder::create(options);
    REQUIRE(builder);
    CHECK(builder->image_target() == "Image.gz");
    CHECK(builder->image_path() == "arch/arm64/boot/Image.gz");
    auto argv = builder->make_argv("Image.gz");
    auto has = [&](const std::string& a) { return std::find(argv.begin(), argv.end(), a) != argv.end(); };
    CHECK(has("ARCH=arm64"));
    CHECK(has("CROSS_COMPILE=aarch64-linux-gnu-"));
    CHECK(argv.back() == "Image.gz");
    if (find_program("ccache")) CHECK(has("CC=ccache aarch64-linux-gnu-gcc"));
    // Resolving runs the cross compiler too: Kconfig's $(cc-option) answers are the target compiler's.
    CHECK(builder->make_argv("olddefconfig") ==
          std::vector<std::string>{"make", "-C", (dir->path() / "src").string(), "O=" + (dir->path() / "build").string(),
                                   "ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-", "olddefconfig"});
}

TEST_CASE("kernel builder: the build lock excludes other holders", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-lock-");
    REQUIRE(dir);
    const auto lock_path = dir->path() / "lock";
    auto lock = BuildLock::acquire(lock_path);
    REQUIRE(lock);
        CHECK_FALSE(lock_is_free(lock_path));
}

TEST_CASE("kernel builder: the lock is free again once released", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-lock-");
    REQUIRE(dir);
    const auto lock_path = dir->path() / "lock";
    { auto lock = BuildLock::acquire(lock_path); REQUIRE(lock); }
    CHECK(lock_is_free(lock_path));
}

namespace {
// A stand-in kernel tree: `make olddefconfig` keeps the .config, `make bzImage` copies it
// into arch/x86/boot/bzImage and counts itself in $(O)/make-runs.
fs::path fake_kernel_tree(const fs::path& dir) {
    const fs::path src = dir / "src";
    REQUIRE(make_directories(src));
    REQUIRE(write_file_atomic(src / "Makefile",
                              "olddefconfig:\n\t@true\n"
                              "bzImage:\n\tmkdir -p $(O)/arch/x86/boot\n\tcp $(O)/.config $(O)/arch/x86/boot/bzImage\n"
                              "\techo run >> $(O)/make-runs\n"));
    return src;
}

KernelBuildOptions fake_build_options(const fs::path& dir) {
    KernelBuildOptions options;
    options.tree = tree_at(fake_kernel_tree(dir));
    options.build_dir = dir / "build";
    options.ccache = false;
    options.lock_file = dir / "lock";
    return options;
}

std::size_t make_runs(const fs::path& build_dir) {
    auto text = read_file(build_dir / "make-runs");
    return text ? std::size_t(std::count(text->begin(), text->end(), '\n')) : 0;
}
} // namespace

TEST_CASE("kernel builder: a config built before is taken from the image store", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-store-");
    REQUIRE(dir);
    KernelBuildOptions options = fake_build_options(dir->path());
    options.reuse_stored_images = true;
    auto builder = KernelBuilder::create(options);
    REQUIRE(builder);

    auto first = builder->build("CONFIG_A=y\n");
    REQUIRE(first);
    REQUIRE(first->ok);
    CHECK_FALSE(first->from_store);
    CHECK(make_runs(options.build_dir) == 1);
    REQUIRE(builder->build("CONFIG_B=y\n"));
    CHECK(make_runs(options.build_dir) == 2);

    auto again = builder->build("CONFIG_A=y\n");
    REQUIRE(again);
    REQUIRE(again->ok);
    CHECK(again->from_store);
    CHECK(make_runs(options.build_dir) == 2); // no make bzImage
    CHECK(again->kernel.config_hash == first->kernel.config_hash);
    CHECK(again->kernel.image.parent_path() == dir->path() / "build-images");
    CHECK(read_file(again->kernel.image).value() == "CONFIG_A=y\n"); // A's image, not the build dir's (B)

    // The trial evaluator counts a stored image as no build.
    KernelTrialEvaluator trials(*builder, [](const BuiltKernel&, int) -> Result<TrialOutcome> {
        TrialOutcome outcome;
        outcome.verdict = Verdict::pass;
        return outcome;
    }, 1);
    TrialInput trial;
    trial.text = "CONFIG_B=y\n";
    auto judged = trials.evaluate(trial);
    REQUIRE(judged);
    CHECK(judged->counts.count("builds") == 0);
    CHECK(make_runs(options.build_dir) == 2);

    // Callers that need the build dir's objects turn reuse off and get a real build.
    options.reuse_stored_images = false;
    auto fresh = KernelBuilder::create(options);
    REQUIRE(fresh);
    auto rebuilt = fresh->build("CONFIG_A=y\n");
    REQUIRE(rebuilt);
    CHECK_FALSE(rebuilt->from_store);
    CHECK(make_runs(options.build_dir) == 3);
    // What the caller gets is the stored copy, which another run's build cannot overwrite.
    CHECK(rebuilt->kernel.image.parent_path() == dir->path() / "build-images");
    CHECK(read_file(rebuilt->kernel.image).value() == "CONFIG_A=y\n");
}

TEST_CASE("kernel builder: nothing touches the build dir while another run holds the lock", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-store-");
    REQUIRE(dir);
    KernelBuildOptions options = fake_build_options(dir->path());
    auto builder = KernelBuilder::create(options);
    REQUIRE(builder);

    // A running make re-reads .config, so even writing it must wait for the other build.
    auto other = std::make_optional(BuildLock::acquire(options.lock_file));
    REQUIRE(*other);
    std::optional<Result<BuildOutcome>> built;
    std::thread waiting([&] {
        built.emplace(builder->build("CONFIG_A=y\n", [&](const BuildOutcome&) -> Result<void> {
            CHECK_FALSE(lock_is_free(options.lock_file)); // still held while the caller reads the build
            return success();
        }));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    CHECK_FALSE(fs::exists(options.build_dir / ".config"));
    other.reset(); // the other build is done
    waiting.join();
    REQUIRE(built);
    REQUIRE(*built);
    CHECK((*built)->ok);
    CHECK(read_file(options.build_dir / ".config").value() == "CONFIG_A=y\n");
    CHECK(lock_is_free(options.lock_file));
    // The wait is the other build's time, not this build's cost (benchmarks, ETAs).
    CHECK((*built)->lock_wait_seconds >= 0.9);
    CHECK((*built)->seconds < (*built)->lock_wait_seconds);
}

TEST_CASE("kernel builder: a config resolved and built before is reused without waiting for the build lock", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-store-");
    REQUIRE(dir);
    KernelBuildOptions options = fake_build_options(dir->path());
    options.reuse_stored_images = true;
    auto builder = KernelBuilder::create(options);
    REQUIRE(builder);
    auto first = builder->build("CONFIG_A=y\n");
    REQUIRE(first);
    REQUIRE(first->ok);

    // Another run is building (it holds the lock): the stored image comes back at once.
    auto other = std::make_optional(BuildLock::acquire(options.lock_file));
    REQUIRE(*other);
    std::optional<Result<BuildOutcome>> again;
    std::atomic<bool> reused{false};
    std::thread reusing([&] {
        again.emplace(builder->build("CONFIG_A=y\n"));
        reused = true;
    });
    for (int i = 0; i < 100 && !reused; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const bool finished_while_locked = reused;
    if (!finished_while_locked) other.reset(); // do not hang the test when it fails
    reusing.join();
    CHECK(finished_while_locked);
    REQUIRE(again);
    REQUIRE(*again);
    CHECK((*again)->from_store);
    CHECK((*again)->kernel.config == first->kernel.config);
    CHECK((*again)->kernel.config_hash == first->kernel.config_hash);
    CHECK(make_runs(options.build_dir) == 1);

    // Another input still waits for the lock (it must be resolved by make in the build dir).
    std::optional<Result<BuildOutcome>> other_input;
    std::atomic<bool> built{false};
    std::thread building([&] {
        other_input.emplace(builder->build("CONFIG_B=y\n"));
        built = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK_FALSE(built);
    CHECK(make_runs(options.build_dir) == 1);
    other.reset();
    building.join();
    REQUIRE(other_input);
    REQUIRE(*other_input);
    CHECK(make_runs(options.build_dir) == 2);
}

TEST_CASE("classify_build_failure: the machine's faults, and nothing else", "[pruner][builder]") {
    ProcessResult failed;
    failed.exit_code = 2;
    auto disk = classify_build_failure(failed, "ld: final link failed: No space left on device\n", std::nullopt);
    REQUIRE(disk);
    CHECK(disk->what.find("disk is full") != std::string::npos);
    CHECK_FALSE(disk->retryable);
    auto nearly_full = classify_build_failure(failed, "error: unknown type name\n", std::uintmax_t(10) << 20);
    REQUIRE(nearly_full);
    CHECK_FALSE(nearly_full->retryable);
    auto killed = classify_build_failure(failed, "gcc: fatal error: Killed signal terminated program cc1\n", std::nullopt);
    REQUIRE(killed);
    CHECK(killed->retryable);
    auto recipe_killed = classify_build_failure(failed, "make[2]: *** [scripts/Makefile.build:250: init/main.o] Error 137\n", std::nullopt);
    REQUIRE(recipe_killed);
    CHECK(recipe_killed->retryable);
    ProcessResult make_killed;
    make_killed.signal = 9;
    auto signalled = classify_build_failure(make_killed, "", std::nullopt);
    REQUIRE(signalled);
    CHECK(signalled->retryable);
    CHECK_FALSE(classify_build_failure(failed, "arch/x86/kernel/foo.c:12: error: 'bar' undeclared\n", std::uintmax_t(1) << 34));
}

TEST_CASE("kernel builder: a full disk is a machine fault, a killed compiler is built again", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-fault-");
    REQUIRE(dir);
    KernelBuildOptions options = fake_build_options(dir->path());
    SECTION("no space left: an error with exit 75, not a failed build") {
        REQUIRE(write_file_atomic(options.tree.root / "Makefile",
                                  "olddefconfig:\n\t@true\n"
                                  "bzImage:\n\t@echo 'ld: final link failed: No space left on device'; exit 1\n"));
        auto builder = KernelBuilder::create(options);
        REQUIRE(builder);
        auto built = builder->build("CONFIG_A=y\n");
        REQUIRE_FALSE(built);
        CHECK(built.error().exit == Exit::machine_fault);
        CHECK(built.error().message.find("the disk is full") != std::string::npos);
    }
    SECTION("a compiler killed once: built again, and the outcome says so") {
        REQUIRE(write_file_atomic(options.tree.root / "Makefile",
                                  "olddefconfig:\n\t@true\n"
                                  "bzImage:\n"
                                  "\t@if mkdir $(O)/killed-once 2>/dev/null; then sh -c 'kill -KILL $$$$'; fi\n"
                                  "\tmkdir -p $(O)/arch/x86/boot\n\tcp $(O)/.config $(O)/arch/x86/boot/bzImage\n"));
        auto builder = KernelBuilder::create(options);
        REQUIRE(builder);
        auto built = builder->build("CONFIG_A=y\n");
        REQUIRE(built);
        CHECK(built->ok);
        REQUIRE(built->retries.size() == 1);
        CHECK(built->retries[0].find("build: the compiler was killed") == 0);
    }
    SECTION("killed every time: an error after one retry") {
        REQUIRE(write_file_atomic(options.tree.root / "Makefile",
                                  "olddefconfig:\n\t@true\n"
                                  "bzImage:\n\t@sh -c 'kill -KILL $$$$'\n"));
        auto builder = KernelBuilder::create(options);
        REQUIRE(builder);
        auto built = builder->build("CONFIG_A=y\n");
        REQUIRE_FALSE(built);
        CHECK(built.error().exit == Exit::machine_fault);
        CHECK(built.error().message.find("the compiler was killed") != std::string::npos);
    }
    SECTION("a config that does not compile is a failed build, an outcome") {
        REQUIRE(write_file_atomic(options.tree.root / "Makefile",
                                  "olddefconfig:\n\t@true\n"
                                  "bzImage:\n\t@echo \"foo.c:1: error: 'x' undeclared\"; exit 1\n"));
        auto builder = KernelBuilder::create(options);
        REQUIRE(builder);
        auto built = builder->build("CONFIG_A=y\n");
        REQUIRE(built);
        CHECK_FALSE(built->ok);
        CHECK(built->retries.empty());
    }
}

TEST_CASE("kernel builder: the build lock lives in the user's cache directory", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-lockdir-");
    REQUIRE(dir);
    const char* old_cache = std::getenv("TINYX_CACHE_DIR");
    std::string saved = old_cache ? old_cache : "";
    ::setenv("TINYX_CACHE_DIR", (dir->path() / "cache").c_str(), 1);
    KernelBuildOptions options = fake_build_options(dir->path());
    options.lock_file.clear();
    auto builder = KernelBuilder::create(options);
    if (saved.empty()) ::unsetenv("TINYX_CACHE_DIR");
    else ::setenv("TINYX_CACHE_DIR", saved.c_str(), 1);
    REQUIRE(builder);
    REQUIRE(builder->build("CONFIG_A=y\n"));
    CHECK(fs::exists(dir->path() / "cache" / "kernel-build.lock"));
}

TEST_CASE("parse_ccache_stats_log: local hits, remote hits, misses, and calls ccache could not cache", "[pruner][builder]") {
    const auto stats = parse_ccache_stats_log("# init/main.c\ndirect_cache_hit\nlocal_storage_hit\nlocal_storage_read_hit\n"
                                              "# kernel/fork.c\ndirect_cache_hit\nlocal_storage_miss\nremote_storage_hit\n"
                                              "remote_storage_read_hit\n"
                                              "# kernel/exit.c\ncache_miss\ndirect_cache_miss\nlocal_storage_miss\nremote_storage_miss\n"
                                              "remote_storage_error\nlocal_storage_write\n"
                                              "# usr/initramfs_data.S\nunsupported_code_directive\n");
    CHECK(stats.calls == 4);
    CHECK(stats.local_hits == 1);
    CHECK(stats.remote_hits == 1);
    CHECK(stats.misses == 1);
    CHECK(stats.cacheable() == 3);
    CHECK(stats.remote_errors == 1);
    CHECK(parse_ccache_stats_log("").calls == 0);
}

TEST_CASE("kernel builder: distcc workers and ccache's remote storage reach make's environment", "[pruner][builder]") {
    REQUIRE(find_program("ccache")); // scripts/setup installs them: a missing one fails here, by name
    REQUIRE(find_program("distcc"));
    auto dir = TempDir::create("tinyx-scale-out-");
    REQUIRE(dir);
    KernelBuildOptions options = fake_build_options(dir->path());
    options.ccache = true;
    options.lock_file.clear();
    // The fake build records the environment it got and leaves a stats log as ccache would.
    REQUIRE(write_file_atomic(options.tree.root / "Makefile",
                              "olddefconfig:\n\t@true\n"
                              "bzImage:\n\tmkdir -p $(O)/arch/x86/boot\n\tcp $(O)/.config $(O)/arch/x86/boot/bzImage\n"
                              "\tenv | sort > $(O)/make-env\n"
                              "\tprintf '# a.c\\ncache_miss\\n# b.c\\nremote_storage_hit\\n' > $$CCACHE_STATSLOG\n"));
    options.scale_out.distcc_hosts = "127.0.0.2/3 127.0.0.3/5";
    options.scale_out.cache_url = "redis://127.0.0.1:6379";
    auto builder = KernelBuilder::create(options);
    REQUIRE(builder);
    auto argv = builder->make_argv("bzImage");
    auto has = [&](const std::string& a) { return std::find(argv.begin(), argv.end(), a) != argv.end(); };
    CHECK(has("-j8")); // the hosts' slots (distcc -j), more than this machine's CPUs
    CHECK(has("CC=ccache gcc"));
    auto built = builder->build("CONFIG_A=y\n");
    REQUIRE(built);
    REQUIRE(built->ok);
    auto env = read_file(dir->path() / "build" / "make-env");
    REQUIRE(env);
    CHECK(env->find("\nCCACHE_PREFIX=distcc\n") != std::string::npos);
    CHECK(env->find("\nDISTCC_HOSTS=127.0.0.2/3 127.0.0.3/5\n") != std::string::npos);
    CHECK(env->find("\nCCACHE_REMOTE_STORAGE=redis://127.0.0.1:6379\n") != std::string::npos);
    CHECK(env->find("\nKBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970\n") != std::string::npos);
    REQUIRE(built->compiles);
    CHECK(built->compiles->calls == 2);
    CHECK(built->compiles->misses == 1);
    CHECK(built->compiles->remote_hits == 1);
    // Builds run side by side on the workers: one lock per build dir, not the machine's.
    CHECK(fs::exists(dir->path() / "build.lock"));

    SECTION("without ccache, make calls distcc itself") {
        options.ccache = false;
        options.scale_out.cache_url.clear();
        auto plain = KernelBuilder::create(options);
        REQUIRE(plain);
        auto plain_argv = plain->make_argv("bzImage");
        CHECK(std::find(plain_argv.begin(), plain_argv.end(), "CC=distcc gcc") != plain_argv.end());
    }
    SECTION("remote storage needs ccache") {
        options.ccache = false;
        auto refused = KernelBuilder::create(options);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().exit == Exit::bad_input);
    }
}

TEST_CASE("kernel builder: a parallel slot builds in a build dir of its own, into the same image store", "[pruner][builder]") {
    auto dir = TempDir::create("tinyx-slot-");
    REQUIRE(dir);
    KernelBuildOptions options = fake_build_options(dir->path());
    options.slot = 1;
    auto slot = KernelBuilder::create(options);
    REQUIRE(slot);
    CHECK(slot->build_dir() == dir->path() / "build-slot2");
    CHECK(slot->image_store().dir() == dir->path() / "build-images");
    auto built = slot->build("CONFIG_A=y\n");
    REQUIRE(built);
    REQUIRE(built->ok);
    CHECK(built->kernel.image.parent_path() == dir->path() / "build-images");
    options.slot = 0;
    auto first = KernelBuilder::create(options);
    REQUIRE(first);
    CHECK(first->image_store().find(built->kernel.config_hash)); // slot 1 sees what slot 2 built
}

TEST_CASE("classify_build_failure: distcc without its local fallback is the machine's fault", "[pruner][builder]") {
    ProcessResult failed;
    failed.exit_code = 2;
    auto fault = classify_build_failure(
        failed, "distcc[9] (dcc_build_somewhere) ERROR: failed to distribute and fallbacks are disabled\n", std::nullopt);
    REQUIRE(fault);
    CHECK(fault->retryable);
    CHECK(fault->what.find("distcc") != std::string::npos);
}
