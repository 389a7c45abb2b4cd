import Foundation
import PipelineConfig
public import EventModel
public import PipelineRuntime

public struct Classify: BatchTransform {
    let rules: [ClassifyRule]

    public func transform(_ batch: inout Batch) throws {
        for index in batch.points.indices {
            if let rule = rules.first(where: { $0.matches(batch.points[index], origin: batch.origin) }) {
                rule.apply(&batch.points[index])
            }
        }
    }
}
