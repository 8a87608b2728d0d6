import CQRencode

/// The thin wrapper over libqrencode: a text as a QR code, drawn as a compact SVG (one
/// `<path>` of the dark modules, run by run, inside the standard four-module quiet zone).
package enum QRCode {
    /// nil only when libqrencode cannot encode the text (too long for any QR version).
    package static func svg(_ text: String, pixelsPerModule: Int = 4) -> String? {
        guard let matrix = modules(text) else { return nil }
        let width = matrix.width
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        for y in 0..<width {
            var x = 0
            while x < width {
                guard matrix.dark(x, y) else { x += 1; continue }
                var run = 1
                while x + run < width, matrix.dark(x + run, y) { run += 1 }
                path += "M\(x + quiet) \(y + quiet)h\(run)v1h-\(run)z"
                x += run
            }
        }
        let pixels = size * pixelsPerModule
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(pixels)\" height=\"\(pixels)\" viewBox=\"0 0 \(size) \(size)\" "
            + "shape-rendering=\"crispEdges\"><rect width=\"\(size)\" height=\"\(size)\" fill=\"#fff\"/>"
            + "<path fill=\"#000\" d=\"\(path)\"/></svg>"
    }

    /// The symbol's modules, row by row, at error-correction level M.
    package struct Matrix {
        package let width: Int
        let bits: [UInt8]
        package func dark(_ x: Int, _ y: Int) -> Bool { bits[y * width + x] & 1 == 1 }
    }

    package static func modules(_ text: String) -> Matrix? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        return Matrix(width: width, bits: Array(UnsafeBufferPointer(start: code.pointee.data, count: width * width)))
    }
}
