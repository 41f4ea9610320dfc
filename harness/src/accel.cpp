#include "harness/accel.hpp"

#include "core/fs.hpp"
#include "core/hash.hpp"
#include "core/interrupt.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"

#include <sys/utsname.h>
#include <unistd.h>

namespace tinyx::harness {

namespace {

// What the verdict depends on: the host kernel (KVM module) and the QEMU build.
Result<std::string> probe_key(const fs::path& qemu) {
    struct utsname host {};
    ::uname(&host);
    ProcessSpec spec;
    spec.argv = {qemu.string(), "--version"};
    spec.timeout = std::chrono::seconds(10);
    TRY_ASSIGN(auto version, run_process(spec));
    if (!version.success())
        return Error::bad_input(str("cannot run ", qemu.string(), " --version: ", version.describe()));
    auto lines = split_lines(version.out);
    return str("host ", host.release, " ", host.version, " ", host.machine, "; qemu ",
               lines.empty() ? std::string("?") : lines.front());
}

} // namespace

bool probe_kvm(const fs::path& qemu, double timeout_seconds, std::string& detail) {
    auto temp = TempDir::create("tinyx-kvm-probe-");
    if (!temp) {
        detail = temp.error().message;
        return false;
    }
    fs::path firmware_log = temp->path() / "firmware.log";
    ProcessSpec spec;
    spec.argv = {qemu.string(), "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none", "-accel", "kvm",
                 "-cpu", "host", "-m", "64", "-chardev", "file,id=debug,path=" + qemu_escape(firmware_log.string()),
                 // SeaBIOS writes its log to I/O port 0x402.
                 "-device", "isa-debugcon,iobase=0x402,chardev=debug"};
    spec.out = Output::capture();
    spec.err = Output::same_as_stdout();
    auto process = Process::spawn(spec);
    if (!process) {
        detail = process.error().message;
        return false;
    }
    while (process->seconds() < timeout_seconds) {
        if (process->pump(std::chrono::milliseconds(100))) {
            auto result = process->wait();
            auto output = last_lines(result.out, 2);
            detail = str("QEMU ", result.describe(), output.empty() ? "" : ": " + join(output, " / "));
            return false;
        }
        if (interrupt::requested()) break;
        auto log_text = read_file(firmware_log);
        if (log_text && log_text->find("No bootable device") != std::string::npos) {
            process->terminate();
            detail = "the firmware booted under KVM";
            return true;
        }
    }
    process->terminate();
    detail = str("QEMU with KVM made no progress in ", human_seconds(timeout_seconds), " (hung)");
    return false;
}

Result<AccelDecision> choose_accelerator(AccelChoice choice, const Arch& guest, const fs::path& qemu, const fs::path& kvm_device) {
    // KVM runs guests of the host's own architecture only; anything else is emulated.
    const bool foreign = &guest != &host_arch();
    if (foreign && choice == AccelChoice::kvm)
        return Error::bad_input(str("--accel kvm: an ", guest.name, " guest cannot use KVM on this ", host_arch().name,
                                    " host (use --accel tcg or auto)"));
    if (foreign) return AccelDecision{Accelerator::tcg, str(guest.name, " guest on an ", host_arch().name, " host: emulated")};
    if (choice == AccelChoice::kvm) return AccelDecision{Accelerator::kvm, "--accel kvm"};
    if (choice == AccelChoice::tcg) return AccelDecision{Accelerator::tcg, "--accel tcg"};
    if (::access(kvm_device.c_str(), R_OK | W_OK) != 0)
        return AccelDecision{Accelerator::tcg, str("no usable ", kvm_device.string())};

    TRY_ASSIGN(std::string key, probe_key(qemu));
    TRY_ASSIGN(auto cache, cache_dir());
    fs::path cache_file = cache / "accel" / str("kvm-probe-", sha256_hex(key).substr(0, 16), ".json");
    if (fs::exists(cache_file)) {
        auto cached = read_json_file(cache_file);
        if (cached && cached->is_object() && cached->value("key", "") == key && cached->contains("kvm_works") &&
            (*cached)["kvm_works"].is_boolean()) {
            bool works = (*cached)["kvm_works"].get<bool>();
            return AccelDecision{works ? Accelerator::kvm : Accelerator::tcg,
                                 str("KVM probe ", works ? "passed" : "failed", " (cached in ", cache_file.string(), ")")};
        }
    }
    log::info("probing KVM (once per host kernel and QEMU version)");
    std::string detail;
    bool works = probe_kvm(qemu, 15, detail);
    if (interrupt::requested()) return Error::interrupted();
    Json record = {{"key", key}, {"kvm_works", works}, {"detail", detail}};
    if (auto made = make_directories(cache_file.parent_path()); made) {
        if (auto written = write_json_file(cache_file, record); !written)
            log::warn(str("cannot cache the KVM probe: ", written.error().message));
    }
    if (!works) log::warn(str("KVM does not work here (", detail, "); using TCG, which is much slower"));
    return AccelDecision{works ? Accelerator::kvm : Accelerator::tcg,
                         str("KVM probe ", works ? "passed" : "failed", ": ", detail)};
}

} // namespace tinyx::harness
