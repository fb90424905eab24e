// Running riosp-load from a test: the real binary as a child process, its exit code (with a
// timeout), its output and its --json file. Shared by the riosp-load test files.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace riosp_load_test {

inline const char* const tool = RIOSP_LOAD_PATH;

struct Child {
    pid_t pid = -1;
    std::string out_path;
    std::string err_path;
};

inline std::string temp_path(const std::string& name) {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string dir = ::testing::TempDir();
    return dir + "riosp_load_" + info->name() + "_" + std::to_string(getpid()) + "_" + name;
}

inline Child start(const std::vector<std::string>& args, const std::string& tag = "") {
    Child c;
    c.out_path = temp_path(tag + "stdout");
    c.err_path = temp_path(tag + "stderr");
    std::vector<std::string> all{tool};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, c.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, c.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    int rc = posix_spawn(&c.pid, tool, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    EXPECT_EQ(rc, 0) << "cannot start " << tool;
    return c;
}

// The exit code, or -1 (after killing it) when it runs past the timeout.
inline int wait_for(const Child& c, int timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    for (;;) {
        int status = 0;
        pid_t r = waitpid(c.pid, &status, WNOHANG);
        if (r == c.pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (std::chrono::steady_clock::now() > deadline) {
            kill(c.pid, SIGKILL);
            waitpid(c.pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

inline std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

struct Result {
    int code = -1;
    std::string out, err, json;
};

inline Result run(std::vector<std::string> args, int timeout_s = 25) {
    Result r;
    const std::string json = temp_path("summary.json");
    std::remove(json.c_str());
    args.push_back("--json");
    args.push_back(json);
    Child c = start(args);
    r.code = wait_for(c, timeout_s);
    r.out = slurp(c.out_path);
    r.err = slurp(c.err_path);
    r.json = slurp(json);
    return r;
}

// Every value of `"key": N` in the JSON. (No <regex>: GCC 12 warns inside it under ASan.)
inline std::vector<double> values(const std::string& json, const std::string& key) {
    std::vector<double> v;
    const std::string needle = "\"" + key + "\": ";
    for (auto pos = json.find(needle); pos != std::string::npos; pos = json.find(needle, pos + 1)) {
        const char* start = json.c_str() + pos + needle.size();
        char* end = nullptr;
        double d = std::strtod(start, &end);
        if (end != start)
            v.push_back(d);
    }
    return v;
}

} // namespace riosp_load_test
