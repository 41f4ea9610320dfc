// The prune journal: one JSON line per trial, appended and fsync'ed as soon as
// the trial finishes, so a run killed at any point (Ctrl-C, kill -9, a crash)
// loses at most the trial in flight. --resume re-runs the (deterministic)
// strategy from the start and takes verdicts from the journal instead of
// running trials again, so it reaches the same result as an uninterrupted run.
#pragma once

#include "core/fs.hpp"
#include "core/json.hpp"
#include "minimize/evaluator.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tinyx::minimize {

struct JournalEntry {
    int id = 0;
    std::string state_hash;
    std::vector<std::string> disabled;
    TrialOutcome outcome;
};

class Journal {
  public:
    // `header` describes the inputs (strategy, start config hash, candidates...).
    // Without `resume` an existing journal is replaced. With it, the existing
    // journal's header must equal `header`; a torn last line is ignored.
    static Result<Journal> open(const fs::path& path, const Json& header, bool resume);
    Journal(Journal&& other) noexcept;
    Journal& operator=(Journal&&) = delete;
    ~Journal();

    const JournalEntry* find(const std::string& state_hash) const;
    std::size_t size() const { return m_entries.size(); }
    Result<void> append(const JournalEntry& entry);

  private:
    Journal(fs::path path, int fd) : m_path(std::move(path)), m_fd(fd) {}
    Result<void> write_line(const Json& line);
    fs::path m_path;
    int m_fd = -1;
    std::map<std::string, JournalEntry> m_entries; // by config hash
};

} // namespace tinyx::minimize
