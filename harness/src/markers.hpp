// Reading what the guest sends: the marker channel (harness/protocol.h), where verdicts come
// from, and the console, which is only evidence (kernel panics, the last lines) for people.
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
// (a trailing '\r' is ignored); anything else, including marker text with another
// nonce or none, is not a marker.
std::optional<Marker> parse_marker_line(std::string_view line, std::string_view nonce);

// A fresh random nonce (hex) for one boot.
std::string make_nonce();

// Standard base64 (with padding), how the guest test travels to the init.
std::string base64_encode(std::string_view bytes);

// Splits text arriving in arbitrary chunks into lines (without "\r\n"); a line longer
// than the limit is cut, so a runaway guest cannot fill our memory.
class LineSplitter {
  public:
    std::vector<std::string> feed(std::string_view bytes);
    // At the end of the stream: the unterminated last line, if any.
    std::optional<std::string> finish();
    const std::string& partial() const { return m_partial; }

  private:
    std::string m_partial;
};

// Follows the marker channel: the init's hello, then this boot's markers.
class ChannelParser {
  public:
    explicit ChannelParser(std::string nonce) : m_nonce(std::move(nonce)) {}
    // Feed more channel bytes; returns the markers on the lines this chunk completed.
    std::vector<Marker> feed(std::string_view bytes);
    // The protocol version the init said hello with; nothing before it did.
    const std::optional<std::string>& hello() const { return m_hello; }

  private:
    std::string m_nonce;
    LineSplitter m_lines;
    std::optional<std::string> m_hello;
};

// Follows the console: evidence only, never a verdict.
class ConsoleParser {
  public:
    void feed(std::string_view bytes);
    void finish();

    // The first "Kernel panic" line seen, if any.
    const std::optional<std::string>& panic_line() const { return m_panic; }
    // The last line where the init says why it gave up (TINYX_INIT_ERROR_PREFIX), if any.
    const std::optional<std::string>& init_error_line() const { return m_init_error; }
    // The last `count` non-empty lines (the unterminated one included), for error details.
    std::vector<std::string> tail(std::size_t count) const;
    std::size_t bytes_seen() const { return m_bytes; }

  private:
    void take_line(std::string line);

    LineSplitter m_lines;
    std::deque<std::string> m_recent;
    std::optional<std::string> m_panic;
    std::optional<std::string> m_init_error;
    std::size_t m_bytes = 0;
};

} // namespace tinyx::harness
