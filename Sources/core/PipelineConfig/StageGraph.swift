/// The stage graph of a pipeline, as text or Graphviz dot.
public struct StageGraph: Sendable {
    public enum Format: Sendable { case text, dot }

    let definition: PipelineDefinition

    public init(_ definition: PipelineDefinition) { self.definition = definition }

    public func render(_ format: Format) -> String {
        let ordered = definition.topologicalOrder
        switch format {
        case .text:
            var lines: [String] = []
            for component in ordered {
                let from = component.inputs.isEmpty ? "" : "  <- " + component.inputs.joined(separator: ", ")
                lines.append("\(component.kind) \(component.id) (\(component.type))\(from)")
            }
            return lines.joined(separator: "\n") + "\n"
        case .dot:
            var lines = ["digraph pipeline {", "  rankdir=LR;"]
            for component in ordered {
                let shape = component.kind == .source ? "invhouse" : component.kind == .sink ? "house" : "box"
                lines.append("  \"\(component.id)\" [label=\"\(component.id)\\n\(component.type)\", shape=\(shape)];")
            }
            for component in ordered {
                for input in component.inputs { lines.append("  \"\(input)\" -> \"\(component.id)\";") }
            }
            lines.append("}")
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

extension PipelineDefinition {
    /// The component and everything that feeds it.
    public func upstream(of id: String) -> Set<String> {
        var found: Set<String> = []
        var queue = [id]
        while let next = queue.popLast() {
            guard found.insert(next).inserted, let component = component(next) else { continue }
            queue += component.inputs
        }
        return found
    }
}
