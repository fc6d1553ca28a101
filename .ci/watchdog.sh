#!/usr/bin/env bash
# Watches a test run's log (.ci/run starts it beside `swift test`): when the log has not grown
# for $XINFANG_WATCHDOG_MINUTES minutes (20 by default; a healthy run prints a line every few
# seconds, its longest test takes about 6 minutes), the run has hung. The watchdog then writes
# every thread's backtrace of the test processes into the log (gdb, names demangled by
# `swift demangle`), so the hang can be found, and kills them, so CI fails at once instead of at
# its time limit.
#
#   .ci/watchdog.sh LOG     (runs until killed, or until it has ended a hung run)
set -uo pipefail
log=${1:?usage: .ci/watchdog.sh LOG}
limit=$(( ${XINFANG_WATCHDOG_MINUTES:-20} * 60 ))
while sleep 30; do
  [ -f "$log" ] || continue
  silent=$(( $(date +%s) - $(stat -c %Y "$log") ))
  [ "$silent" -ge "$limit" ] || continue
  pids=$(pgrep -f 'PackageTests\.xctest|swiftpm-testing-helper' || true)
  {
    echo "watchdog: nothing printed for $(( silent / 60 )) minutes: the test run hangs"
    for pid in $pids; do
      echo "watchdog: backtraces of $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)"
      timeout 300 gdb -p "$pid" -batch -ex "thread apply all bt" 2>&1 | grep -E "^(Thread|#)" | swift demangle --simplified | cut -c1-300 | head -20000
    done
    echo "watchdog: killing $pids"
  } 2>&1 | tee -a "$log"
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill -9 $pids
  # The throwaway PostgreSQL clusters of the killed tests.
  for dir in /tmp/xinfang-pg-*/; do
    [ -d "$dir/data" ] && bash "$(dirname "$0")/../deploy/postgres.sh" stop "$dir" >/dev/null 2>&1
  done
  exit 1
done
