// The minimiser's words (pruner/minimize/), as kernel trials use them: a Kconfig symbol is a
// minimize::Item, a resolved .config a minimize::State, a kernel build + boot a
// minimize::TrialEvaluator. Declared here once instead of qualified on every line.
#pragma once

#include "minimize/engine.hpp"
#include "minimize/evaluator.hpp"
#include "minimize/item_domain.hpp"

namespace tinyx::pruner {

using minimize::Engine;
using minimize::EngineOptions;
using minimize::EngineResult;
using minimize::Item;
using minimize::ItemDomain;
using minimize::ItemSet;
using minimize::SearchHint;
using minimize::State;
using minimize::TrialEvaluator;
using minimize::TrialInput;
using minimize::TrialOutcome;
using minimize::TrialRecord;
using minimize::Verdict;
using minimize::verdict_name;

} // namespace tinyx::pruner
