#include "users.hpp"

#include "core/fs.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>

namespace tinyx::packagers {

namespace {

std::optional<unsigned> parse_id(const std::string& text) {
    if (text.empty() || text.size() > 10 || !std::all_of(text.begin(), text.end(), ::isdigit)) return std::nullopt;
    return unsigned(std::stoul(text));
}

bool is_account_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '$'; }

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

} // namespace

UserDb UserDb::from_text(const std::string& passwd, const std::string& group) {
    UserDb db;
    for (const auto& line : split_lines(passwd)) {
        auto f = split(line, ':');
        if (f.size() < 7 || f[0].empty()) continue;
        auto uid = parse_id(f[2]), gid = parse_id(f[3]);
        if (!uid || !gid) continue;
        db.m_users.push_back({f[0], *uid, *gid, line});
    }
    for (const auto& line : split_lines(group)) {
        auto f = split(line, ':');
        if (f.size() < 3 || f[0].empty()) continue;
        auto gid = parse_id(f[2]);
        if (!gid) continue;
        GroupEntry g{f[0], *gid, {}};
        if (f.size() > 3)
            for (auto& m : split(f[3], ','))
                if (!m.empty()) g.members.push_back(m);
        db.m_groups.push_back(std::move(g));
    }
    return db;
}

Result<UserDb> UserDb::load(const std::filesystem::path& root) {
    // A root without account databases (a FROM-scratch image) gets the two accounts every image has.
    std::string passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    std::string group = "root:x:0:\nnogroup:x:65534:\n";
    std::error_code ec;
    if (std::filesystem::exists(root / "etc/passwd", ec)) {
        TRY_ASSIGN(passwd, read_file(root / "etc/passwd"));
    }
    if (std::filesystem::exists(root / "etc/group", ec)) {
        TRY_ASSIGN(group, read_file(root / "etc/group"));
    }
    return from_text(passwd, group);
}

const UserEntry* UserDb::user(const std::string& name) const {
    for (const auto& u : m_users)
        if (u.name == name) return &u;
    return nullptr;
}
const UserEntry* UserDb::user(unsigned uid) const {
    for (const auto& u : m_users)
        if (u.uid == uid) return &u;
    return nullptr;
}
const GroupEntry* UserDb::group(const std::string& name) const {
    for (const auto& g : m_groups)
        if (g.name == name) return &g;
    return nullptr;
}
const GroupEntry* UserDb::group(unsigned gid) const {
    for (const auto& g : m_groups)
        if (g.gid == gid) return &g;
    return nullptr;
}

UserSelection::UserSelection(const UserDb& db) : m_db(db) {}

bool UserSelection::add_uid(unsigned uid, const std::string& reason) {
    const UserEntry* u = m_db.user(uid);
    if (!u) return false;
    if (m_uids.insert(uid).second) m_reasons["user " + u->name] = reason;
    add_gid(u->gid, str("primary group of ", u->name));
    return true;
}

bool UserSelection::add_user(const std::string& name, const std::string& reason) {
    const UserEntry* u = m_db.user(name);
    return u && add_uid(u->uid, reason);
}

bool UserSelection::add_gid(unsigned gid, const std::string& reason) {
    const GroupEntry* g = m_db.group(gid);
    if (!g) return false;
    if (m_gids.insert(gid).second) m_reasons["group " + g->name] = reason;
    return true;
}

bool UserSelection::add_group(const std::string& name, const std::string& reason) {
    const GroupEntry* g = m_db.group(name);
    return g && add_gid(g->gid, reason);
}

std::string UserSelection::render_passwd() const {
    std::string out;
    for (unsigned uid : m_uids) {
        const UserEntry* u = m_db.user(uid);
        auto fields = split(u->line, ':');
        fields[1] = "x";
        // Login shells of the host do not exist in the guest; BusyBox's sh does.
        if (uid == 0) fields[6] = "/bin/sh";
        out += join(fields, ":") + "\n";
    }
    return out;
}

std::string UserSelection::render_group() const {
    std::string out;
    for (unsigned gid : m_gids) {
        const GroupEntry* g = m_db.group(gid);
        std::vector<std::string> members;
        for (const auto& m : g->members)
            if (const UserEntry* u = m_db.user(m); u && m_uids.count(u->uid)) members.push_back(m);
        out += str(g->name, ":x:", g->gid, ":", join(members, ","), "\n");
    }
    return out;
}

std::vector<std::string> accounts_named_in_config(const std::string& text, const UserDb& db) {
    std::vector<std::string> names;
    for (const auto& raw : split_lines(text)) {
        std::string_view line = trim(raw);
        if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '[') continue;
        // Words: runs of account characters; the first one is the setting's name.
        std::vector<std::string> words;
        std::string current;
        for (char c : line) {
            if (is_account_char(c)) {
                current += c;
            } else {
                if (!current.empty()) words.push_back(std::move(current));
                current.clear();
                if (c == '#') break; // trailing comment
            }
        }
        if (!current.empty()) words.push_back(std::move(current));
        if (words.size() < 2) continue;
        const std::string key = lower(words[0]);
        if (key.find("user") == std::string::npos && key.find("group") == std::string::npos &&
            key.find("owner") == std::string::npos && key.find("runas") == std::string::npos)
            continue;
        for (std::size_t i = 1; i < words.size() && i < 4; ++i)
            if (db.user(words[i]) || db.group(words[i])) names.push_back(words[i]);
    }
    return names;
}

std::vector<std::string> accounts_named_in_command(const std::vector<std::string>& argv, const UserDb& db) {
    std::vector<std::string> names;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        std::string word = argv[i];
        if (auto eq = word.find('='); eq != std::string::npos && starts_with(word, "-")) word = word.substr(eq + 1);
        for (const auto& part : split(word, ':')) // "user:group"
            if (!part.empty() && (db.user(part) || db.group(part))) names.push_back(part);
    }
    return names;
}

} // namespace tinyx::packagers
