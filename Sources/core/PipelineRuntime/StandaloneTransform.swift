public import Logging
public import EventModel

extension BuildContext {
    /// A build outside a pipeline run (pipeline `tests:`, `job run`).
    public static func standalone(id: String, logger: Logger, checkpoints: (any CheckpointStorage)? = nil) -> BuildContext {
        BuildContext(id: id, logger: logger, once: true, stateDirectory: nil, checkpoints: checkpoints)
    }
}

extension Transform {
    /// Feeds `batches` into this transform alone and returns everything it emitted once its
    /// input ended (the harness of a pipeline file's `tests:`). Output batches are
    /// acknowledged as delivered.
    public func runStandalone(id: String, batches: [Batch], logger: Logger) async throws -> [Point] {
        let input = BoundedChannel(capacity: max(batches.count, 1), producers: 1)
        let output = BoundedChannel(capacity: 4, producers: 1)
        let counters = StageCounters()
        let context = StageContext(id: id, logger: logger, counters: counters, once: true)
        for batch in batches { _ = try await input.send(batch) }
        input.producerFinished()
        return try await withThrowingTaskGroup(of: [Point].self) { group in
            group.addTask {
                defer { output.producerFinished() }
                try await self.run(context: context, input: StageInput(input), output: StageOutput(channels: [output], counters: counters))
                return []
            }
            group.addTask {
                var points: [Point] = []
                while let batch = await output.next() {
                    points += batch.points
                    batch.acknowledge(.delivered)
                }
                return points
            }
            var points: [Point] = []
            for try await part in group { points += part }
            return points
        }
    }
}
