/// The unit that moves between stages: points plus the acknowledgements of the source
/// batches they came from.
public struct Batch: Sendable {
    public var points: [Point]
    public var acknowledgements: [Acknowledgement]
    /// The id of the source that produced the batch (set when a source sends it), for
    /// transforms that route by origin (`classify`'s `source` match).
    public var origin: String?

    @inlinable
    public init(points: [Point], acknowledgements: [Acknowledgement] = []) {
        self.points = points
        self.acknowledgements = acknowledgements
    }

    /// The acknowledgements without the points: what a sink keeps until its write is durable,
    /// so waiting for an fsync does not keep the points alive.
    public var receipt: Batch { Batch(points: [], acknowledgements: acknowledgements) }

    /// This batch now goes to `copies` consumers instead of one.
    public func fork(into copies: Int) {
        for acknowledgement in acknowledgements { acknowledgement.retain(copies - 1) }
    }

    /// The holder of this batch is done with it.
    public func acknowledge(_ status: DeliveryStatus) {
        for acknowledgement in acknowledgements { acknowledgement.release(status) }
    }
}
