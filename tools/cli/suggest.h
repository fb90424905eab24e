// The "did you mean" of riosp's tools: CLI11 2.1 names an unknown option but suggests nothing,
// so both riosp-load and riosp-install ask here for the app's option name nearest to a typo.
// (std::min) and (std::max) stay clear of <windows.h>'s macros, which riosp-install includes.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace riosp::cli {

// Edit distance counting an insertion, deletion, substitution or swap of two neighbours as one
// (optimal string alignment): "--firts" is one step from "--first", as a typist sees it.
[[nodiscard]] inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t w = b.size() + 1;
    std::vector<std::size_t> d((a.size() + 1) * w);
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i * w] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t best = (std::min)(
                {d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                best = (std::min)(best, d[(i - 2) * w + j - 2] + 1);
            d[i * w + j] = best;
        }
    }
    return d[a.size() * w + b.size()];
}

// The long option of `app` closest to `given` ("--durtion=5" -> "--duration"), or empty when
// none is close enough to be a plausible typo (at most a third of the name, and 3, differs).
[[nodiscard]] inline std::string closest_option(const CLI::App& app, std::string_view given) {
    given = given.substr(0, given.find('='));
    while (!given.empty() && given.front() == '-')
        given.remove_prefix(1);
    std::string best;
    std::size_t best_distance = std::clamp<std::size_t>(given.size() / 3, 1, 3);
    for (const CLI::Option* opt : app.get_options()) {
        for (const std::string& name : opt->get_lnames()) {
            const std::size_t d = edit_distance(given, name);
            if (d <= best_distance && (best.empty() || d < best_distance)) {
                best = "--" + name;
                best_distance = d;
            }
        }
    }
    return best;
}

// One line for an unknown option: "unknown option '--durtion' (did you mean --duration?)".
[[nodiscard]] inline std::string unknown_option(const CLI::App& app, std::string_view given) {
    std::string line = "unknown option '" + std::string(given) + "'";
    if (const std::string nearest = closest_option(app, given); !nearest.empty())
        line += " (did you mean " + nearest + "?)";
    return line;
}

} // namespace riosp::cli
