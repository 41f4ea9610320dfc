// The guest's /etc/passwd and /etc/group: root, nobody/nogroup and the system
// users and groups the app needs, copied from the host's databases so uids and
// gids match the file owners recorded in the image.
#pragma once

#include "core/result.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tinyx::packagers {

struct UserEntry {
    std::string name;
    unsigned uid = 0, gid = 0;
    std::string line; // the host's passwd line
};

struct GroupEntry {
    std::string name;
    unsigned gid = 0;
    std::vector<std::string> members;
};

class UserDb {
  public:
    // Reads root/etc/passwd and root/etc/group (root and nobody when a file is missing).
    static Result<UserDb> load(const std::filesystem::path& root = "/");
    static UserDb from_text(const std::string& passwd, const std::string& group);

    const UserEntry* user(const std::string& name) const;
    const UserEntry* user(unsigned uid) const;
    const GroupEntry* group(const std::string& name) const;
    const GroupEntry* group(unsigned gid) const;
    const std::vector<UserEntry>& users() const { return m_users; }

  private:
    std::vector<UserEntry> m_users;
    std::vector<GroupEntry> m_groups;
};

// The users and groups that go into the image, each with the reason.
class UserSelection {
  public:
    explicit UserSelection(const UserDb& db);
    // Adds the user and its primary group; false if the host has no such user.
    bool add_user(const std::string& name, const std::string& reason);
    bool add_uid(unsigned uid, const std::string& reason);
    bool add_group(const std::string& name, const std::string& reason);
    bool add_gid(unsigned gid, const std::string& reason);

    std::string render_passwd() const;
    std::string render_group() const;
    const std::map<std::string, std::string>& reasons() const { return m_reasons; } // "user www-data" -> why

  private:
    const UserDb& m_db;
    std::set<unsigned> m_uids, m_gids;
    std::map<std::string, std::string> m_reasons;
};

// Names of host users/groups a configuration file names in a user/group setting:
// a line whose first word contains "user", "group", "owner" or "runas"
// (nginx "user www-data;", redis-like "username = \"x\"", Apache "User nobody").
std::vector<std::string> accounts_named_in_config(const std::string& text, const UserDb& db);

// Host users/groups named as words of a command line ("-u nobody", "--user=www-data").
std::vector<std::string> accounts_named_in_command(const std::vector<std::string>& argv, const UserDb& db);

} // namespace tinyx::packagers
