// The worker pool and its lanes over shared threads (many agents in one
// process), the fleet's timer, and which configs a fleet runs with which
// files. Real threads; waits are bounded by latches and futures, not timing.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>

#include "common/log.h"
#include "config/paths.h"
#include "engine/worker_pool.h"
#include "fleet/discover.h"
#include "fleet/timer.h"
#include "support/process.h"

using namespace gigent;
using namespace std::chrono_literals;

namespace {

// A job that holds its thread until released, and says when it started.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  std::atomic<int> started{0};
  std::function<void()> job() {
    return [this] {
      ++started;
      opened.wait();
    };
  }
};

void wait_until(const std::function<bool()>& condition) {
  for (int i = 0; i < 5000 && !condition(); ++i) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(condition());
}

TEST(WorkerPool, AnOrderInFlightOrAFullPoolIsRefused) {
  engine::WorkerPool pool(2);
  Gate gate;
  EXPECT_TRUE(pool.try_submit("a", gate.job()));
  EXPECT_FALSE(pool.try_submit("a", gate.job())) << "the same order twice";
  EXPECT_TRUE(pool.try_submit("b", gate.job()));
  EXPECT_FALSE(pool.has_room());
  EXPECT_FALSE(pool.try_submit("c", gate.job())) << "more orders than slots";
  gate.open.set_value();
  EXPECT_TRUE(pool.wait_idle(10s));
  EXPECT_TRUE(pool.has_room());
}

TEST(WorkerPoolLane, ALaneNeverRunsMoreThanItsSizeOnSharedThreads) {
  engine::SharedWorkers shared(4);
  engine::WorkerPool narrow(1, shared);
  engine::WorkerPool wide(3, shared);
  Gate gate;
  EXPECT_TRUE(narrow.try_submit("n1", gate.job()));
  EXPECT_FALSE(narrow.try_submit("n2", gate.job())) << "the narrow lane has one slot";
  for (const char* id : {"w1", "w2", "w3"}) EXPECT_TRUE(wide.try_submit(id, gate.job())) << id;
  wait_until([&] { return gate.started == 4; });
  EXPECT_EQ(shared.busy(), 4);
  EXPECT_EQ(narrow.busy(), 1);
  EXPECT_EQ(wide.busy(), 3);
  gate.open.set_value();
  EXPECT_TRUE(narrow.wait_idle(10s));
  EXPECT_TRUE(wide.wait_idle(10s));
}

TEST(WorkerPoolLane, NoRoomWhileEverySharedThreadIsBusyAndTheFreedSlotIsAnnounced) {
  engine::SharedWorkers shared(1);
  engine::WorkerPool first(2, shared);
  engine::WorkerPool second(2, shared);
  std::atomic<int> freed{0};
  second.on_slot_free([&] { ++freed; });
  Gate gate;
  ASSERT_TRUE(first.try_submit("a", gate.job()));
  wait_until([&] { return gate.started == 1; });
  EXPECT_FALSE(second.has_room()) << "the only shared thread is taken: an order taken now would wait";
  gate.open.set_value();
  ASSERT_TRUE(first.wait_idle(10s));
  EXPECT_TRUE(second.has_room());
  ASSERT_TRUE(second.try_submit("b", [] {}));
  ASSERT_TRUE(second.wait_idle(10s));
  wait_until([&] { return freed == 1; });
}

TEST(WorkerPoolLane, ALaneGoesOnlyAfterItsJobsAndTheyLogForTheirAgent) {
  engine::SharedWorkers shared(2);
  std::promise<std::string> agent_seen;
  std::atomic<bool> finished{false};
  {
    engine::WorkerPool lane(1, shared);
    const log::AgentScope scope("Writer 7");
    ASSERT_TRUE(lane.try_submit("a", [&] {
      agent_seen.set_value(log::current_agent());
      std::this_thread::sleep_for(50ms);
      finished = true;
    }));
  }  // the lane's destructor waits for its job, which uses it
  EXPECT_TRUE(finished);
  EXPECT_EQ(agent_seen.get_future().get(), "Writer 7");
  EXPECT_EQ(log::current_agent(), "") << "the scope ends with its block";
}

TEST(FleetTimer, CallsRunAtTheirTimeInTimeOrder) {
  fleet::Timer timer;
  std::mutex mutex;
  std::vector<int> order;
  std::latch done(3);
  auto record = [&](int n) {
    return [&, n] {
      {
        std::lock_guard lock(mutex);
        order.push_back(n);
      }
      done.count_down();
    };
  };
  timer.after(60ms, record(3));
  timer.after(20ms, record(1));
  timer.after(40ms, record(2));
  done.wait();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(timer.pending(), 0U);
}

TEST(FleetConfigs, TheFolderGivesItsYamlFilesSortedAndEachOnce) {
  gigent::testing::TempDir dir;
  for (const char* name : {"b.yaml", "a.yml", ".hidden.yaml", "notes.txt"})
    std::ofstream(dir.path() + "/" + name) << "x";
  std::filesystem::create_directories(dir.path() + "/folder.yaml");
  const auto found = fleet::discover_configs({{dir.path() + "/b.yaml"}, dir.path() + "/"});
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(std::filesystem::path(found[0]).filename(), "a.yml");
  EXPECT_EQ(std::filesystem::path(found[1]).filename(), "b.yaml");
  EXPECT_THROW(fleet::discover_configs({{}, dir.path() + "/missing"}), std::runtime_error);
}

TEST(FleetConfigs, SharedFoldersGiveEachConfigAFolderOfItsOwn) {
  gigent::testing::TempDir dir;
  const std::string a = dir.path() + "/a.yaml", b = dir.path() + "/b.yaml", solo = dir.path() + "/solo/agent.yaml";
  EXPECT_TRUE(fleet::needs_own_state_dir(a, {a, b}, ""));
  EXPECT_FALSE(fleet::needs_own_state_dir(solo, {a, solo}, ""));
  EXPECT_TRUE(fleet::needs_own_state_dir(a, {a}, dir.path() + "/"));

  std::ofstream(a) << "x";
  EXPECT_EQ(config::state_dir_for(a), dir.path()) << "without its own folder, the files stay next to the config";
  config::make_own_state_dir(a);
  EXPECT_EQ(config::state_dir_for(a), dir.path() + "/.gigent/a");
  EXPECT_EQ(std::filesystem::status(dir.path() + "/.gigent/a").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  EXPECT_EQ(config::state_dir_for(b), dir.path()) << "one config's folder is not another's";
}

}  // namespace
