public import PipelineConfig
public import EventModel
public import PipelineRuntime

/// `type: add_tags` — sets static tags on every point (like Telegraf's global tags), e.g. the
/// site or agent a pipeline runs at. Existing tags of the same name are overwritten only with
/// `overwrite: true`.
public struct AddTagsConfiguration: TransformConfiguration {
    public static let typeName = "add_tags"
    public var tags: [(String, String)]
    public var overwrite: Bool

    public init(options: inout OptionsReader) {
        tags = options.stringMap("tags") ?? []
        overwrite = options.bool("overwrite", default: false)
        if tags.isEmpty { options.fail(options.location, "'\(options.componentID)' needs option 'tags' with at least one tag") }
        for (key, value) in tags where key.isEmpty || value.contains("\n") || key.contains("\n") {
            options.fail(options.location, "tag '\(key)' of '\(options.componentID)' is empty or has a newline")
        }
    }

    public func build(_ context: BuildContext) throws -> AddTags {
        // Sorted once (byte order, last value of a key wins), so each point takes one merge.
        var unique: [String: String] = [:]
        for (key, value) in tags { unique[key] = value }
        let sorted = unique.map { Point.Tag($0.key, $0.value) }.sorted { Point.byteOrder($0.key, $1.key) }
        return AddTags(tags: sorted, overwrite: overwrite)
    }
}

public struct AddTags: BatchTransform {
    let tags: [Point.Tag]
    let overwrite: Bool

    public func transform(_ batch: inout Batch) throws {
        for index in batch.points.indices {
            if overwrite {
                batch.points[index].mergeTags(tags)
            } else {
                let point = batch.points[index]
                // Usually none of the tags is there yet: merge them all without building a list.
                if tags.allSatisfy({ point.tag($0.key) == nil }) {
                    batch.points[index].mergeTags(tags)
                } else {
                    batch.points[index].mergeTags(tags.filter { point.tag($0.key) == nil })
                }
            }
        }
    }
}
