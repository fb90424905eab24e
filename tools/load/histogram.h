// A fixed-size log-linear latency histogram (nanoseconds, < 1% bucket width): recording never
// allocates, merging is a sum, percentiles walk the buckets.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace riosp::load {

class Histogram {
public:
    static constexpr int sub_bits = 7;
    static constexpr std::uint64_t sub = 1u << sub_bits;
    static constexpr int max_bits = 40; // values are clamped below 2^40 ns (~18 minutes)
    static constexpr std::size_t buckets = (max_bits - sub_bits + 1) * sub;

    void record(std::uint64_t ns) noexcept {
        ns = std::min<std::uint64_t>(ns, (std::uint64_t{1} << max_bits) - 1);
        ++counts_[index(ns)];
        ++count_;
        sum_ += ns;
        max_ = std::max(max_, ns);
    }
    void merge(const Histogram& o) noexcept {
        for (std::size_t i = 0; i < buckets; ++i)
            counts_[i] += o.counts_[i];
        count_ += o.count_;
        sum_ += o.sum_;
        max_ = std::max(max_, o.max_);
    }
    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] double mean() const noexcept {
        return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
    }
    [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
    // The value at quantile q (0..1): the midpoint of the bucket holding it; 0 when empty.
    [[nodiscard]] std::uint64_t quantile(double q) const noexcept {
        if (count_ == 0)
            return 0;
        auto target = static_cast<std::uint64_t>(q * static_cast<double>(count_));
        if (target >= count_)
            target = count_ - 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i) {
            seen += counts_[i];
            if (seen > target)
                return std::min(midpoint(i), max_);
        }
        return max_;
    }

    // f(value, samples) for every non-empty bucket, ascending; value is the bucket's midpoint,
    // as quantile() reports it (the distribution a plot draws as a CDF).
    template <class F> void for_each_bucket(F&& f) const {
        for (std::size_t i = 0; i < buckets; ++i)
            if (counts_[i] != 0)
                f(std::min(midpoint(i), max_), counts_[i]);
    }

private:
    static std::size_t index(std::uint64_t v) noexcept {
        if (v < sub)
            return static_cast<std::size_t>(v);
        int msb = 63 - std::countl_zero(v);
        int shift = msb - sub_bits;
        return static_cast<std::size_t>(shift + 1) * sub +
               static_cast<std::size_t>((v >> shift) - sub);
    }
    static std::uint64_t midpoint(std::size_t i) noexcept {
        if (i < sub)
            return i;
        std::size_t shift = i / sub - 1;
        std::uint64_t low = (static_cast<std::uint64_t>(i % sub) + sub) << shift;
        return low + ((std::uint64_t{1} << shift) >> 1);
    }

    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
};

} // namespace riosp::load
