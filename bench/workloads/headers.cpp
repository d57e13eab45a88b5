// headers.cpp - a header-heavy C++ translation unit for bench/run's compiler workload: most of the standard
// library included, and enough templates instantiated that the compiler builds large ASTs and emits debug
// information for them, as a real project's source file does.
#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace bench {

template <typename Key, typename Value>
struct Index {
    std::map<Key, std::vector<Value>> by_key;
    std::unordered_map<Value, std::set<Key>> by_value;

    void add(const Key &k, const Value &v)
    {
        by_key[k].push_back(v);
        by_value[v].insert(k);
    }

    std::optional<Value> first(const Key &k) const
    {
        auto it = by_key.find(k);
        if (it == by_key.end() || it->second.empty())
            return std::nullopt;
        return it->second.front();
    }
};

using Cell = std::variant<int, double, std::string, std::vector<int>>;

std::string describe(const Cell &c)
{
    return std::visit(
        [](const auto &v) {
            std::ostringstream out;
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::vector<int>>)
                out << "vector of " << v.size();
            else
                out << std::setw(8) << v;
            return out.str();
        },
        c);
}

template <typename Container>
auto summarize(const Container &c)
{
    using V = typename Container::value_type;
    std::vector<V> sorted(c.begin(), c.end());
    std::sort(sorted.begin(), sorted.end());
    return std::make_tuple(sorted.size(), std::accumulate(sorted.begin(), sorted.end(), V{}));
}

}  // namespace bench

int main(int argc, char **argv)
{
    bench::Index<std::string, int> a;
    bench::Index<int, long> b;
    bench::Index<std::string, std::string> c;
    std::mt19937 rng(argc);
    std::deque<int> dq;
    std::list<double> li;
    std::unordered_set<std::string> names;
    for (int i = 0; i < 100; i++) {
        a.add(std::to_string(i), i);
        b.add(i, (long)rng());
        c.add(std::to_string(i), argv[0]);
        dq.push_back(i);
        li.push_back(i * 0.5);
        names.insert(std::to_string(rng()));
    }
    auto future = std::async(std::launch::async, [&] { return bench::summarize(dq); });
    std::cout << std::get<0>(future.get()) << std::get<1>(bench::summarize(li))
              << bench::describe(bench::Cell{std::vector<int>{1, 2}})
              << a.first("1").value_or(0) << names.size() << std::endl;
    return 0;
}
