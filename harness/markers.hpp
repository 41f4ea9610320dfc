// Reading the guest's console: protocol markers (harness/protocol.h) and the
// evidence quoted when a boot fails (kernel panics, the last lines).
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyx::harness {

struct Marker {
    std::string event;        // TINYX_EVENT_*
    long long uptime_ms = -1; // the guest's uptime when it printed the marker
    std::string value;        // may be empty
};

// A marker line for exactly this nonce, or nothing. The marker must start the line
// (a trailing '\r' from the serial line discipline is ignored); anything else, including
// marker text with another nonce or none, is ordinary console output.
std::optional<Marker> parse_marker_line(std::string_view line, std::string_view nonce);

// A fresh random nonce (hex) for one boot.
std::string make_nonce();

// Standard base64 (with padding), how the guest test travels on the kernel command line.
std::string base64_encode(std::string_view bytes);

// Follows the console text as it arrives in arbitrary chunks.
class ConsoleParser {
  public:
    explicit ConsoleParser(std::string nonce) : m_nonce(std::move(nonce)) {}

    // Feed more console bytes; returns the markers on the lines this chunk completed.
    std::vector<Marker> feed(std::string_view bytes);
    // At the end of the console: treat an unterminated last line as complete.
    std::vector<Marker> finish();

    // The first "Kernel panic" line seen, if any.
    const std::optional<std::string>& panic_line() const { return m_panic; }
    // The last `count` non-empty lines (the unterminated one included), for error details.
    std::vector<std::string> tail(std::size_t count) const;
    std::size_t bytes_seen() const { return m_bytes; }

  private:
    void take_line(std::string line, std::vector<Marker>& markers);

    std::string m_nonce;
    std::string m_partial;
    std::deque<std::string> m_recent;
    std::optional<std::string> m_panic;
    std::size_t m_bytes = 0;
};

} // namespace tinyx::harness
