import Foundation

extension NodeDatabase {
    /// `transform` of 0..<count on every core (`cores` workers, each taking every `cores`-th
    /// index), results in index order. For the pure work around a write (hashing, signatures,
    /// encodings): below `minimumPerWorker` items a worker, fewer workers start.
    static func parallelMap<T>(_ count: Int, minimumPerWorker: Int = 256, _ transform: @Sendable (Int) -> T) -> [T] {
        let slots = Slots<T>(count: count)
        let workers = max(1, min(cores, count / max(1, minimumPerWorker)))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < count {
                slots.set(index, transform(index))
                index += workers
            }
        }
        return slots.values
    }
}

/// One slot per index, each written by exactly one worker of `parallelMap` before they all end.
private final class Slots<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    func set(_ index: Int, _ value: T) { slots[index] = value }

    var values: [T] { slots.map { $0! } }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
}
