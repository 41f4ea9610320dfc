// Errors as values at module boundaries. An Error carries the exit code the
// top-level handler maps it to, so a module deep in the stack decides whether a
// problem is the user's input (2), a boot failure (3), a timeout (4) or ours.
#pragma once

#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tinyx {

// Exit codes of ../shared/cli-contract.md. Values other than these are internal failures.
enum class Exit : int {
    ok = 0,
    test_failed = 1,
    bad_input = 2,
    boot_failed = 3,
    timeout = 4,
    internal = 70,     // EX_SOFTWARE: a bug, never the user's input
    // EX_TEMPFAIL: the machine failed (disk full, I/O error, a killed build, QEMU that cannot
    // start). Never a verdict on the app or the kernel: a pruning run stops here, decides
    // nothing from it, and `--resume` retries once the machine is fixed.
    machine_fault = 75,
    interrupted = 130, // 128 + SIGINT, what shells report for Ctrl-C
};

struct Error {
    Exit exit = Exit::internal;
    std::string message;
    std::vector<std::string> details; // printed after the first line, indented

    static Error bad_input(std::string msg) { return {Exit::bad_input, std::move(msg), {}}; }
    static Error internal(std::string msg) { return {Exit::internal, std::move(msg), {}}; }
    static Error boot_failed(std::string msg) { return {Exit::boot_failed, std::move(msg), {}}; }
    static Error timeout(std::string msg) { return {Exit::timeout, std::move(msg), {}}; }
    static Error test_failed(std::string msg) { return {Exit::test_failed, std::move(msg), {}}; }
    static Error machine_fault(std::string msg) { return {Exit::machine_fault, std::move(msg), {}}; }
    // A failed system call, "WHAT: <strerror>": the machine's fault when the errno says so
    // (is_machine_fault_errno), else `otherwise` (bad_input for a path the user gave).
    static Error from_errno(int error_number, const std::string& what, Exit otherwise = Exit::internal);
    static Error interrupted() { return {Exit::interrupted, "interrupted", {}}; }

    // Prefix the message with context: "reading profile.json: " + message.
    Error context(const std::string& what) && {
        message = what + ": " + message;
        return std::move(*this);
    }
    Error with_detail(std::string line) && {
        details.push_back(std::move(line));
        return std::move(*this);
    }
};

// ENOSPC, EDQUOT, EIO, ENOMEM, EROFS, EMFILE, ENFILE: the machine, not the input or tinyx.
bool is_machine_fault_errno(int error_number);

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return m_state.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(m_state); }
    const T& value() const& { return std::get<0>(m_state); }
    T&& value() && { return std::get<0>(std::move(m_state)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(m_state); }
    Error&& error() && { return std::get<1>(std::move(m_state)); }

    T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

  private:
    std::variant<T, Error> m_state;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}

    bool ok() const noexcept { return !m_failed; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const& { return m_error; }
    Error&& error() && { return std::move(m_error); }

  private:
    Error m_error;
    bool m_failed = false;
};

inline Result<void> success() { return {}; }

} // namespace tinyx

#define TINYX_CONCAT_INNER(a, b) a##b
#define TINYX_CONCAT(a, b) TINYX_CONCAT_INNER(a, b)

// Return the error of a failed Result from the enclosing function.
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        auto&& tinyx_try_result = (expr);                                                          \
        if (!tinyx_try_result) return std::move(tinyx_try_result).error();                         \
    } while (0)

// Declare/assign `lhs` from a Result's value, or return its error.
#define TRY_ASSIGN(lhs, expr) TRY_ASSIGN_IMPL(TINYX_CONCAT(tinyx_result_, __LINE__), lhs, expr)
#define TRY_ASSIGN_IMPL(tmp, lhs, expr)                                                            \
    auto tmp = (expr);                                                                             \
    if (!tmp) return std::move(tmp).error();                                                       \
    lhs = std::move(tmp).value()
