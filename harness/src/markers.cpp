#include "markers.hpp"

#include "harness/protocol.h"

#include <random>

namespace tinyx::harness {

namespace {

constexpr std::size_t kRecentLines = 200;
// A console line longer than this is cut: a runaway app must not fill our memory.
constexpr std::size_t kMaxLine = 4096;

std::string_view without_carriage_returns(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    while (!line.empty() && line.front() == '\r') line.remove_prefix(1);
    return line;
}

} // namespace

std::optional<Marker> parse_marker_line(std::string_view line, std::string_view nonce) {
    line = without_carriage_returns(line);
    std::string_view prefix = TINYX_MARKER_PREFIX;
    if (nonce.empty() || line.substr(0, prefix.size()) != prefix) return std::nullopt;
    line.remove_prefix(prefix.size());
    if (line.substr(0, nonce.size()) != nonce || line.substr(nonce.size(), 1) != ":") return std::nullopt;
    line.remove_prefix(nonce.size() + 1);

    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    Marker marker;
    marker.event = std::string(line.substr(0, colon));
    line.remove_prefix(colon + 1);

    auto end = line.find(':');
    std::string_view uptime = line.substr(0, end);
    if (uptime.empty() || uptime.size() > 15) return std::nullopt;
    long long ms = 0;
    for (char c : uptime) {
        if (c < '0' || c > '9') return std::nullopt;
        ms = ms * 10 + (c - '0');
    }
    marker.uptime_ms = ms;
    if (end != std::string_view::npos) marker.value = std::string(line.substr(end + 1));
    return marker;
}

std::string make_nonce() {
    std::random_device random;
    static const char digits[] = "0123456789abcdef";
    std::string nonce;
    for (int i = 0; i < 4; ++i) {
        auto word = random();
        for (int j = 0; j < 8; ++j) nonce += digits[(word >> (4 * j)) & 0xf];
    }
    return nonce;
}

std::string base64_encode(std::string_view bytes) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 | (unsigned char)bytes[i + 2];
        out += alphabet[v >> 18];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (i < bytes.size()) {
        unsigned v = (unsigned char)bytes[i] << 16;
        if (i + 1 < bytes.size()) v |= (unsigned char)bytes[i + 1] << 8;
        out += alphabet[v >> 18];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
    std::vector<std::string> lines;
    while (!bytes.empty()) {
        auto newline = bytes.find('\n');
        auto room = kMaxLine - std::min(kMaxLine, m_partial.size());
        if (newline == std::string_view::npos) {
            m_partial.append(bytes.substr(0, room));
            break;
        }
        m_partial.append(bytes.substr(0, std::min(newline, room)));
        lines.emplace_back(without_carriage_returns(m_partial));
        m_partial.clear();
        bytes.remove_prefix(newline + 1);
    }
    return lines;
}

std::optional<std::string> LineSplitter::finish() {
    if (m_partial.empty()) return std::nullopt;
    std::string line(without_carriage_returns(m_partial));
    m_partial.clear();
    return line;
}

std::vector<Marker> ChannelParser::feed(std::string_view bytes) {
    std::vector<Marker> markers;
    for (const auto& line : m_lines.feed(bytes)) {
        std::string_view hello = TINYX_CHANNEL_HELLO;
        if (!m_hello && line.substr(0, hello.size()) == hello) {
            m_hello = line.substr(hello.size());
            continue;
        }
        if (!m_hello) continue; // nothing counts before the init said hello
        if (auto marker = parse_marker_line(line, m_nonce)) markers.push_back(std::move(*marker));
    }
    return markers;
}

void ConsoleParser::take_line(std::string line) {
    if (line.empty()) return;
    if (!m_panic && line.find("Kernel panic - not syncing") != std::string::npos) m_panic = line;
    if (auto at = line.find(TINYX_INIT_ERROR_PREFIX); at != std::string::npos) m_init_error = line.substr(at);
    m_recent.push_back(std::move(line));
    if (m_recent.size() > kRecentLines) m_recent.pop_front();
}

void ConsoleParser::feed(std::string_view bytes) {
    m_bytes += bytes.size();
    for (auto& line : m_lines.feed(bytes)) take_line(std::move(line));
}

void ConsoleParser::finish() {
    if (auto line = m_lines.finish()) take_line(std::move(*line));
}

std::vector<std::string> ConsoleParser::tail(std::size_t count) const {
    std::vector<std::string> lines;
    auto partial = without_carriage_returns(m_lines.partial());
    std::size_t from_recent = count - (partial.empty() ? 0 : std::min<std::size_t>(count, 1));
    std::size_t start = m_recent.size() > from_recent ? m_recent.size() - from_recent : 0;
    for (std::size_t i = start; i < m_recent.size(); ++i) lines.push_back(m_recent[i]);
    if (!partial.empty() && count > 0) lines.emplace_back(partial);
    return lines;
}

} // namespace tinyx::harness
