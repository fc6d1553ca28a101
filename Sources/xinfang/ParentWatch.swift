import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Stops this process as SIGTERM does (gracefully) once the process that started it has ended,
/// when `XINFANG_STOP_WITH_PARENT=1` is in its environment: the tests' spawner sets it, so a test
/// run that stops on a fatal error leaves no node or demo running (one such run left 20 for an
/// hour beside a benchmark). A demo's nodes inherit it and each watches its own parent. The end is
/// seen as the process being given another parent (init or a subreaper), checked once a second;
/// without the variable nothing runs (an operator's node and P7's idle figures are unchanged).
enum ParentWatch {
    static let variable = "XINFANG_STOP_WITH_PARENT"

    /// Starts the watch if the environment asks for it, for `parent` (the parent when the
    /// command began: one that ends while the node starts is seen at the first check); keep the
    /// answer until the process ends.
    static func startIfAsked(parent: pid_t) -> (any DispatchSourceTimer)? {
        guard ProcessInfo.processInfo.environment[variable] == "1" else { return nil }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler {
            // Again each second until it stops: a demo takes its SIGTERM only once its story is
            // played (its signal handling starts then), and a node stopping ignores the repeats.
            if getppid() != parent { kill(getpid(), SIGTERM) }
        }
        timer.resume()
        return timer
    }
}
