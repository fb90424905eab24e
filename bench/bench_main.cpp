// riosp-bench entry point. Defaults to JSON in build/bench-results.json beside the console
// table, so every run leaves a file compare.py (and tools/perf-gate) can read.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    bool has_out = false;
    for (int i = 1; i < argc; ++i)
        has_out = has_out || std::string(argv[i]).rfind("--benchmark_out=", 0) == 0;
    std::string out = "--benchmark_out=riosp-bench.json";
    std::string fmt = "--benchmark_out_format=json";
    if (!has_out) {
        args.push_back(out.data());
        args.push_back(fmt.data());
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data()))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
