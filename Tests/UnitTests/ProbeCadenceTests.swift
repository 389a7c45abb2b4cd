@testable import Components
import Synchronization
import Testing

/// Review C15: the probe's step cadence must not follow the wall clock. Stepped back (NTP at
/// boot, a VM resumed), a wall-clock cadence waited the jump plus the step before the next
/// round; stepped forward, it started the next step at once and lost the step's rhythm.
@Suite struct ProbeCadenceTests {
    /// Both clocks by hand, in nanoseconds.
    final class ManualClocks: Sendable {
        let monotonic = Atomic<Int64>(1_000_000_000_000)
        let realtime = Atomic<Int64>(1_700_000_000_000_000_000)

        /// Time passes on both.
        func pass(_ nanoseconds: Int64) {
            monotonic.add(nanoseconds, ordering: .relaxed)
            realtime.add(nanoseconds, ordering: .relaxed)
        }

        var clocks: ProbeClocks {
            ProbeClocks(monotonic: { self.monotonic.load(ordering: .relaxed) }, realtime: { self.realtime.load(ordering: .relaxed) })
        }
    }

    static let second: Int64 = 1_000_000_000

    @Test(arguments: [-3600, 3600])
    func aWallClockStepDoesNotChangeTheWaitForTheNextStep(jumpSeconds: Int64) throws {
        var source = try ProbeResolutionTests.source("{ name: a, host: 127.0.0.1 }")
        let manual = ManualClocks()
        source.clocks = manual.clocks
        var cadence = source.cadence()
        // A step's rounds take 2 s to submit, then the wall clock is stepped.
        manual.pass(2 * Self.second)
        manual.realtime.add(jumpSeconds * Self.second, ordering: .relaxed)
        let wait = cadence.advance()
        #expect(wait == 58 * Self.second, "waited \(wait / Self.second) s for a 60 s step after a \(jumpSeconds) s wall-clock step")
        manual.pass(wait)
        #expect(cadence.advance() == 60 * Self.second)
    }

    @Test func afterAStallTheCadenceStartsAgainFromNow() {
        let manual = ManualClocks()
        var cadence = StepCadence(step: 60 * Self.second, now: manual.clocks.monotonic)
        manual.pass(90 * Self.second)
        #expect(cadence.advance() == 0)
        manual.pass(Self.second)
        #expect(cadence.advance() == 59 * Self.second)
    }
}
