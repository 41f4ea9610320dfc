// What incremental re-resolution (Kconfig::resolve_with) keeps between trials: the evaluated
// state of the last written config and the order to recompute symbols in.
#pragma once

#include "model.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace tinyx::kconfig::detail {

// The evaluated state of the last written config, kept so a trial only recomputes what its
// changes can reach.
struct SymState {
    uint32_t flags;
    Tri visible, dir_dep_tri, rev_dep_tri, implied_tri, cur_tri, user_tri;
    std::string cur_str, user_str;
    int cur_choice, user_choice;
    bool user_str_set;
};

// A symbol's computed state differs from the base: what reads it must be recomputed too.
inline bool differs_from(const Symbol& s, const SymState& base) {
    return s.cur_tri != base.cur_tri || s.flags != base.flags || s.visible != base.visible || s.cur_choice != base.cur_choice ||
           s.dir_dep_tri != base.dir_dep_tri || s.rev_dep_tri != base.rev_dep_tri || s.implied_tri != base.implied_tri ||
           s.cur_str != base.cur_str;
}

// The reverse dependency graph (symbol -> symbols reading it) cut into strongly connected
// components, numbered so that every edge goes from a lower to a higher (or the same) component.
// A choice and its values always form one component (each reads the other). Recomputing the
// components in increasing order means every input of a symbol is final when it is computed.
struct DependencyOrder {
    std::vector<int> component_of;      // per symbol (constants: -1)
    std::vector<int> component_start;   // per component, into members; one extra at the end
    std::vector<int> members;           // grouped by component, ascending symbol index inside
    int modules_component = -1;

    DependencyOrder(const std::vector<std::vector<int>>& users, int modules_sym) {
        const int n = int(users.size());
        // Tarjan's algorithm, iterative (dependency chains are thousands deep).
        std::vector<int> index(std::size_t(n), -1), low(std::size_t(n), 0);
        std::vector<char> on_stack(std::size_t(n), 0);
        std::vector<int> stack;
        std::vector<std::pair<int, std::size_t>> frames; // node, next edge
        std::vector<std::vector<int>> found;             // components, sinks first
        int counter = 0;
        for (int root = 3; root < n; root++) {
            if (index[root] >= 0) continue;
            frames.emplace_back(root, 0);
            index[root] = low[root] = counter++;
            stack.push_back(root);
            on_stack[root] = 1;
            while (!frames.empty()) {
                auto& [node, edge] = frames.back();
                if (edge < users[node].size()) {
                    int next = users[node][edge++];
                    if (index[next] < 0) {
                        index[next] = low[next] = counter++;
                        stack.push_back(next);
                        on_stack[next] = 1;
                        frames.emplace_back(next, 0);
                    } else if (on_stack[next]) {
                        low[node] = std::min(low[node], index[next]);
                    }
                    continue;
                }
                int done = node;
                frames.pop_back();
                if (!frames.empty()) low[frames.back().first] = std::min(low[frames.back().first], low[done]);
                if (low[done] != index[done]) continue;
                std::vector<int> component;
                while (true) {
                    int member = stack.back();
                    stack.pop_back();
                    on_stack[member] = 0;
                    component.push_back(member);
                    if (member == done) break;
                }
                std::sort(component.begin(), component.end());
                found.push_back(std::move(component));
            }
        }
        // Tarjan finishes a component after everything reachable from it: reverse for the order.
        component_of.assign(std::size_t(n), -1);
        component_start.reserve(found.size() + 1);
        members.reserve(std::size_t(n));
        for (auto it = found.rbegin(); it != found.rend(); ++it) {
            int id = int(component_start.size());
            component_start.push_back(int(members.size()));
            for (int member : *it) {
                component_of[member] = id;
                members.push_back(member);
            }
        }
        component_start.push_back(int(members.size()));
        if (modules_sym >= 3) modules_component = component_of[modules_sym];
    }
    int count() const { return int(component_start.size()) - 1; }
};

struct BaseState {
    std::vector<SymState> states;
    std::vector<int> line_index; // per symbol, its line in the base config (-1: none)
    int line_count = 0;
    Tri modules_val = no;
    std::vector<int> mark;           // per symbol, generation marks
    std::vector<int> component_mark; // per component: scheduled in this generation
    int generation = 0;
    std::vector<int> written;         // symbols of the base config, in order
    std::vector<std::string> value;   // per symbol, its value in the base config
    std::vector<char> is_written;     // per symbol
};

} // namespace tinyx::kconfig::detail
