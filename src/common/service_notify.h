#pragma once
// Tells systemd (Type=notify units) where the daemon is in its life. Every
// call is a no-op when not started by systemd (NOTIFY_SOCKET unset) or when
// built without libsystemd.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string_view>

namespace gigent::service {

// READY=1: the service does what it is for (the server listens, the agent
// takes orders). `status` becomes the unit's STATUS= line.
void notify_ready(std::string_view status);

// STOPPING=1: shutdown has begun (the server stops, the agent drains).
void notify_stopping(std::string_view status);

// STATUS=: what the daemon does now, shown by `systemctl status`.
void notify_status(std::string_view status);

// WATCHDOG=1: the daemon works. Sent only while its own checks pass, so that
// systemd restarts it when it hangs (WatchdogSec= in the unit).
void notify_watchdog();

// The unit's WatchdogSec= (from WATCHDOG_USEC for this process), or nullopt
// when no watchdog is set or when built without libsystemd.
std::optional<std::chrono::microseconds> watchdog_timeout();

// True when `stream` is connected to journald (JOURNAL_STREAM names its
// device and inode), which stamps every line itself.
bool writes_to_journal(std::FILE* stream);

}  // namespace gigent::service
