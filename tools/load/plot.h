// riosp-load --plot: the run drawn by tools/plot (Python, matplotlib) from the run's JSON.
#pragma once

#include "report.h"

namespace riosp::load {

// Draws info's run into options->plot_file. Never fails the run: when the tool or matplotlib is
// missing it says, in one line, how to get them and where the run's JSON is to draw it later.
void draw_plot(const RunInfo& info);

} // namespace riosp::load
