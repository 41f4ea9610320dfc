// The plainest ItemDomain: items are independent entries of a list (files of an
// image, parameters of a kernel command line), and removing items removes exactly
// those. No resolution, so a trial tests what the engine asked for.
//
//   SetDomain files("files", {"/etc/services", "/etc/rpc", ...});
//   State start = files.make_state(files.items());
//   Engine(files, evaluator, options).run(start, ItemSet(...));
//
// A state's text is the kind on the first line and the present items, one per line,
// in the original order; evaluators read it back with SetDomain::items_of().
#pragma once

#include "minimize/item_domain.hpp"

#include <map>
#include <string>
#include <vector>

namespace tinyx::minimize {

class SetDomain final : public ItemDomain {
  public:
    SetDomain(std::string kind, std::vector<Item> items);

    std::string kind() const override { return m_kind; }
    const std::vector<Item>& items() const { return m_items; }
    State make_state(const std::vector<Item>& present) const;
    // The items of a state's text, in order.
    static std::vector<Item> items_of(const std::string& text);

    Result<State> remove(const State& base, const std::vector<Item>& items) override;
    std::vector<Item> sequential_order(const ItemSet& candidates) override { return in_order(candidates); }
    std::vector<Item> grouping_order(const ItemSet& candidates) override { return in_order(candidates); }

  private:
    std::vector<Item> in_order(const ItemSet& subset) const;
    std::string m_kind;
    std::vector<Item> m_items;
};

} // namespace tinyx::minimize
