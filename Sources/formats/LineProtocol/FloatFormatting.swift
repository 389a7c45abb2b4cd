/// The Swift runtime's shortest round-trip formatter, the one `Double.description` calls;
/// declared here as the standard library declares it, so a float is written straight into the
/// output buffer without a String in between.
@usableFromInline
@_silgen_name("swift_float64ToString")
func _swiftFloat64ToString(
    _ buffer: UnsafeMutablePointer<UInt8>, _ bufferLength: UInt, _ value: Double, _ debug: Bool
) -> UInt64
