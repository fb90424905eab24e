// The process helpers both platforms share (sys.h); the rest is in sys_posix.cpp, sys_win.cpp.
#include "sys.h"

#include <fstream>
#include <iterator>

namespace riosp::load {

int provider_mentions(const std::string& needle) {
    const std::string path = loaded_provider_path();
    if (path.empty())
        return -1;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return -1;
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return content.find(needle) != std::string::npos ? 1 : 0;
}

} // namespace riosp::load
