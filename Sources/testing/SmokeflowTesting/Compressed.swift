public import Foundation
import Zstd

/// The decompressed bytes of a zstd file (a recorded fixture), decoded in-process: no child
/// process for a test to wait on.
public func zstdDecompressed(_ path: String) throws -> Data {
    let input = try Data(contentsOf: URL(fileURLWithPath: path))
    let decompressor = try ZstdDecompressor()
    var output = Data()
    try input.withUnsafeBytes { try decompressor.decompress($0) { output.append(contentsOf: $0) } }
    try decompressor.finish()
    return output
}
