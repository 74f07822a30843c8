#include "cli/run_daemon.h"

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <thread>

#include "cli/status_report.h"
#include "common/cancel.h"
#include "common/fs.h"
#include "common/log.h"
#include "engine/engine.h"
#include "fleet/fleet.h"

namespace gigent::cli {

namespace {

constexpr std::array kStopSignals = {SIGINT, SIGTERM};
// Default action "terminate": blocked and read like the stop signals, so a
// stray one is logged instead of killing the daemon mid-order.
constexpr std::array kStraySignals = {SIGHUP, SIGUSR1, SIGUSR2, SIGALRM};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGALRM:
      return "SIGALRM";
    default:
      return "a signal";
  }
}

// What the signals do to the daemon being run.
struct Controls {
  std::function<void()> stop;        // first SIGTERM/SIGINT: drain
  std::function<void()> force_stop;  // the second
  std::function<void()> reload;      // SIGHUP; null: logged and ignored
};

// Reads signals until `run_over` fires. Nothing here depends on a signal
// arriving: the end of run() wakes the poll through the Cancellation's eventfd.
void read_signals(int signal_fd, const Cancellation& run_over, const Controls& controls) {
  auto log = log::get("signal");
  int wake_fd = run_over.wake_fd();
  std::array<pollfd, 2> fds{{{signal_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}}};
  int stops = 0;
  while (!run_over.cancelled()) {
    // Without an eventfd (the system refused one) the poll times out to look at run_over.
    int n = ::poll(fds.data(), fds.size(), wake_fd >= 0 ? -1 : 200);
    if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("poll on signals: ") + errno_text(errno));
    if (n <= 0 || !(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
    int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGHUP && controls.reload) {
      controls.reload();
    } else if (sig != SIGINT && sig != SIGTERM) {
      log->warn("{} from pid {} ignored: only SIGTERM or SIGINT stop the daemon", signal_name(sig), info.ssi_pid);
    } else if (++stops == 1) {
      log->info("{} received: no new orders; finishing the ones in flight", signal_name(sig));
      controls.stop();
    } else {
      log->warn("second signal: stopping now; interrupted orders resume at the next start");
      controls.force_stop();
    }
  }
}

// Runs `run` with SIGINT/SIGTERM (and SIGHUP when `controls.reload` is set)
// read by one thread from a signalfd; returns what `run` returns.
int run_with_signals(const std::function<int()>& run, const Controls& controls) {
  // Blocked before any thread starts, so every thread inherits the mask and
  // the signals reach only the signalfd.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : kStopSignals) sigaddset(&signals, sig);
  for (int sig : kStraySignals) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    log::get("signal")->error("cannot read signals (signalfd: {}); not starting", errno_text(errno));
    return engine::kExitFailure;
  }
  struct CloseFd {
    int fd;
    ~CloseFd() { ::close(fd); }
  } close_signal_fd{signal_fd};

  Cancellation run_over;
  bool signal_thread_failed = false;
  int code = engine::kExitFailure;
  {
    std::jthread signal_thread([&] {
      try {
        read_signals(signal_fd, run_over, controls);
      } catch (const std::exception& e) {
        // Without this thread no signal would stop the daemon: stop it now.
        log::get("signal")->error("the signal thread failed ({}); stopping", e.what());
        signal_thread_failed = true;
        controls.stop();
      }
    });
    code = run();
    run_over.cancel();
  }  // joins the signal thread
  return signal_thread_failed && code == engine::kExitOk ? engine::kExitFailure : code;
}

}  // namespace

int run_daemon(const config::Config& config, const std::string& backend_url) {
  // GET /status answers what `status --json` prints, read the same way.
  engine::Engine engine(config, {backend_url, config.observability.listen,
                                 [&config, backend_url] { return collect_status(config, backend_url); }});
  return run_with_signals([&engine] { return engine.run(); },
                          {[&engine] { engine.request_stop(); }, [&engine] { engine.force_stop(); }, nullptr});
}

int run_fleet(fleet::FleetOptions options) {
  fleet::Fleet::prepare_process();
  fleet::Fleet fleet(std::move(options));
  return run_with_signals(
      [&fleet] { return fleet.run(); },
      {[&fleet] { fleet.request_stop(); }, [&fleet] { fleet.force_stop(); }, [&fleet] { fleet.request_reload(); }});
}

}  // namespace gigent::cli
