#include "minimize/journal.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace tinyx::minimize {

namespace {

Json entry_to_json(const JournalEntry& entry) {
    Json seconds = Json::object();
    for (const auto& [k, v] : entry.outcome.seconds) seconds[k] = v;
    Json line{{"id", entry.id},
              {"config_hash", entry.state_hash}, // the file's key since journal version 1
              {"disabled", entry.disabled},
              {"verdict", verdict_name(entry.outcome.verdict)},
              {"counts", entry.outcome.counts},
              {"seconds", seconds},
              {"evidence", entry.outcome.evidence}};
    if (!entry.outcome.retries.empty()) line["retries"] = entry.outcome.retries;
    return line;
}

std::optional<JournalEntry> entry_from_json(const Json& line) {
    if (!line.is_object()) return std::nullopt;
    auto id = json_integer(line, "id", "journal");
    auto hash = json_string(line, "config_hash", "journal");
    auto verdict_text = json_string(line, "verdict", "journal");
    auto disabled = json_string_list(line, "disabled", "journal");
    auto evidence = json_string_list(line, "evidence", "journal");
    if (!id || !hash || !verdict_text || !disabled || !evidence) return std::nullopt;
    auto verdict = parse_verdict(*verdict_text);
    if (!verdict) return std::nullopt;
    JournalEntry entry;
    entry.id = int(*id);
    entry.state_hash = *hash;
    entry.disabled = *disabled;
    entry.outcome.verdict = *verdict;
    entry.outcome.evidence = *evidence;
    if (auto it = line.find("counts"); it != line.end() && it->is_object())
        for (const auto& [name, count] : it->items())
            if (count.is_number_integer()) entry.outcome.counts[name] = count.get<int>();
    // Journals written before counts: "built" was the one count.
    if (auto built = line.find("built"); built != line.end() && built->is_boolean() && built->get<bool>())
        entry.outcome.counts["builds"] = 1;
    if (line.contains("retries"))
        if (auto retries = json_string_list(line, "retries", "journal")) entry.outcome.retries = *retries;
    if (auto it = line.find("seconds"); it != line.end() && it->is_object())
        for (const auto& [k, v] : it->items())
            if (v.is_number()) entry.outcome.seconds[k] = v.get<double>();
    return entry;
}

} // namespace

Result<Journal> Journal::open(const fs::path& path, const Json& header, bool resume) {
    std::map<std::string, JournalEntry> entries;
    bool keep_existing = false;
    std::error_code ec;
    if (resume && fs::exists(path, ec)) {
        TRY_ASSIGN(auto text, read_file(path));
        auto lines = split_lines(text);
        // A kill -9 during a write leaves a last line without its newline: drop it.
        if (!text.empty() && text.back() != '\n' && !lines.empty()) lines.pop_back();
        if (lines.empty())
            return Error::bad_input(str("--resume: ", path.string(), " has no header line (delete it or run without --resume)"));
        TRY_ASSIGN(auto first, parse_json(lines.front(), path.string()));
        if (first != header)
            return Error::bad_input(str("--resume: ", path.string(),
                                        " was written for different inputs (kernel tree, start config, candidates, strategy or test); "
                                        "run without --resume to start over"))
                .with_detail(str("journal: ", first.dump()))
                .with_detail(str("now:     ", header.dump()));
        for (std::size_t i = 1; i < lines.size(); ++i) {
            auto parsed = parse_json(lines[i], path.string());
            std::optional<JournalEntry> entry;
            if (parsed) entry = entry_from_json(*parsed);
            if (!entry) {
                log::warn(str(path.string(), ": line ", i + 1, " is not a trial record; ignored"));
                continue;
            }
            entries[entry->state_hash] = std::move(*entry);
        }
        keep_existing = true;
        // Rewrite without the torn line so appends start on a fresh line.
        std::string clean;
        for (const auto& line : lines) clean += line + "\n";
        if (clean != text) TRY(write_file_atomic(path, clean));
    } else if (resume) {
        log::warn(str("--resume: no journal at ", path.string(), "; starting from the beginning"));
    }

    TRY(make_directories(path.parent_path()));
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (keep_existing ? 0 : O_TRUNC);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return Error::internal(str("opening ", path.string(), ": ", std::strerror(errno)));
    Journal journal(path, fd);
    journal.m_entries = std::move(entries);
    if (!keep_existing) TRY(journal.write_line(header));
    return journal;
}

Journal::Journal(Journal&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(other.m_fd), m_entries(std::move(other.m_entries)) {
    other.m_fd = -1;
}

Journal::~Journal() {
    if (m_fd >= 0) ::close(m_fd);
}

const JournalEntry* Journal::find(const std::string& state_hash) const {
    auto it = m_entries.find(state_hash);
    return it == m_entries.end() ? nullptr : &it->second;
}

Result<void> Journal::write_line(const Json& line) {
    std::string text = dump_json(line, -1);
    if (text.empty() || text.back() != '\n') text += '\n';
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(m_fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::internal(str("writing ", m_path.string(), ": ", std::strerror(errno)));
        }
        done += std::size_t(n);
    }
    // The point of the journal: a trial that finished survives a crash right after.
    if (::fsync(m_fd) != 0) return Error::internal(str("fsync ", m_path.string(), ": ", std::strerror(errno)));
    return success();
}

Result<void> Journal::append(const JournalEntry& entry) {
    TRY(write_line(entry_to_json(entry)));
    m_entries[entry.state_hash] = entry;
    return success();
}

} // namespace tinyx::minimize
