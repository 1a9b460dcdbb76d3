import CHDF5
import Foundation

/// Writes a capture in format v1. Everything goes to a temporary file beside `path`
/// (`.<name>.tmp-<pid>`), renamed to `path` only by `finish()`, so an interrupted or failed
/// write never leaves a half-written capture; a writer dropped without `finish()` deletes it.
/// Root attributes are written as h5py writes them (variable-length UTF-8 strings, int64), so
/// h5py reads them back as `str` and numpy integers.
public final class CaptureWriter {
    public let path: String
    public let header: CaptureHeader
    public let elementType: CaptureElementType
    /// Where the capture is written until `finish()`.
    public let temporaryPath: String

    private var fileID: hid_t
    private var finished = false
    private var positionsBySample: [Int: [Int]] = [:]
    private var tokenCountBySample: [Int: Int] = [:]
    private var layersBySample: [Int: Set<Int>] = [:]

    public init(path: String, header: CaptureHeader, elementType: CaptureElementType = .float16) throws {
        HDF5.silenceErrors()
        guard header.numLayers > 0, header.numHeads > 0, header.numKVHeads > 0, header.headDim > 0,
              header.numHeads % header.numKVHeads == 0
        else {
            throw CaptureError.invalidHeader(
                file: path, reason: "layers, heads, KV heads and head_dim must be positive and num_heads divisible by num_kv_heads")
        }
        let url = URL(fileURLWithPath: path)
        self.path = path
        self.header = header
        self.elementType = elementType
        self.temporaryPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
        // No HDF5 file lock on the temporary file. HDF5 1.10 flock()s every file it opens, and a
        // flock belongs to the open file description, which a child process shares when it
        // inherits the descriptor (HDF5 opens without O_CLOEXEC; on Linux, Foundation's Process
        // closes only the descriptors open when it prepares the spawn, so one opened meanwhile by
        // another thread leaks). Such a child kept the exclusive lock after finish() had closed
        // and renamed the file, and CaptureFile(path:) then failed ("HDF5 cannot open the file")
        // until the child exited: a flaky failure whenever a test or the Harness started a process
        // while a capture was being written. The lock protects nothing here: the file has a
        // private name and becomes the capture only by rename after it is closed.
        // A capture may go to a folder that does not exist yet (captures/ on a fresh clone); a folder that
        // cannot be made shows up as H5Fcreate's failure below, which names the path.
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fapl = mp_create_unlocked_fapl()
        guard fapl >= 0 else {
            throw CaptureError.hdf5Failure(file: path, path: temporaryPath, operation: "set up file access for")
        }
        defer { H5Pclose(fapl) }
        fileID = H5Fcreate(temporaryPath, mp_H5F_ACC_TRUNC(), HDF5.defaultPlist, fapl)
        guard fileID >= 0 else {
            throw CaptureError.hdf5Failure(file: path, path: temporaryPath, operation: "create the temporary file")
        }
        do {
            try HDF5.writeStringAttribute(fileID, "format", CaptureFile.formatName, file: path, path: "/")
            try HDF5.writeIntAttribute(fileID, "format_version", CaptureFile.formatVersion, file: path, path: "/")
            try HDF5.writeStringAttribute(fileID, "model", header.model, file: path, path: "/")
            try HDF5.writeIntAttribute(fileID, "num_layers", header.numLayers, file: path, path: "/")
            try HDF5.writeIntAttribute(fileID, "num_heads", header.numHeads, file: path, path: "/")
            try HDF5.writeIntAttribute(fileID, "num_kv_heads", header.numKVHeads, file: path, path: "/")
            try HDF5.writeIntAttribute(fileID, "head_dim", header.headDim, file: path, path: "/")
            for (name, value) in header.extra.sorted(by: { $0.key < $1.key }) {
                try HDF5.writeStringAttribute(fileID, name, value, file: path, path: "/")
            }
            try createGroup("/samples")
        } catch {
            discard()
            throw error
        }
    }

    deinit { discard() }

    /// Closes and deletes the temporary file unless `finish()` already renamed it.
    private func discard() {
        guard !finished else { return }
        finished = true
        if fileID >= 0 { H5Fclose(fileID) }
        fileID = -1
        try? FileManager.default.removeItem(atPath: temporaryPath)
    }

    private func createGroup(_ groupPath: String) throws {
        let group = H5Gcreate2(fileID, groupPath, HDF5.defaultPlist, HDF5.defaultPlist, HDF5.defaultPlist)
        guard group >= 0 else { throw CaptureError.hdf5Failure(file: path, path: groupPath, operation: "create group") }
        H5Gclose(group)
    }

    private func checkOpen() throws {
        guard !finished else { throw CaptureError.invalidWrite(file: path, reason: "the writer is already finished") }
    }

    /// Starts `samples/<index>`: its prompt length n and the absolute positions of its captured
    /// queries (strictly increasing, non-negative; query s attends keys [0, queryPositions[s]]).
    public func writeSample(index: Int, promptTokens: Int, queryPositions: [Int]) throws {
        HDF5.silenceErrors()
        try checkOpen()
        let base = "/samples/\(index)"
        guard index >= 0 else { throw CaptureError.invalidWrite(file: path, reason: "sample index \(index) is negative") }
        guard positionsBySample[index] == nil else {
            throw CaptureError.invalidWrite(file: path, reason: "\(base) was already written")
        }
        guard promptTokens >= 1 else {
            throw CaptureError.invalidWrite(file: path, reason: "\(base): prompt_tokens \(promptTokens) must be at least 1")
        }
        guard !queryPositions.isEmpty, queryPositions[0] >= 0,
              zip(queryPositions, queryPositions.dropFirst()).allSatisfy({ $0 < $1 })
        else {
            throw CaptureError.invalidWrite(
                file: path, reason: "\(base): query positions must be non-empty, non-negative and strictly increasing")
        }
        try createGroup(base)
        let group = H5Gopen2(fileID, base, HDF5.defaultPlist)
        guard group >= 0 else { throw CaptureError.hdf5Failure(file: path, path: base, operation: "open group") }
        defer { H5Gclose(group) }
        try HDF5.writeIntAttribute(group, "prompt_tokens", promptTokens, file: path, path: base)
        let positions = queryPositions.map { Int64($0) }
        try positions.withUnsafeBytes { raw in
            try HDF5.writeDataset(
                group, "query_positions", dims: [positions.count], fileType: mp_H5T_STD_I64LE(),
                memType: mp_H5T_NATIVE_INT64(), data: raw.baseAddress!, file: path, path: base + "/query_positions")
        }
        try createGroup(base + "/layers")
        positionsBySample[index] = queryPositions
        layersBySample[index] = []
    }

    /// Writes `samples/<sample>/layers/<layer.layer>`; the sample must have been started with
    /// `writeSample`, and the layer must match the header, the sample's query count and T.
    public func writeLayer(sample: Int, _ layer: CaptureLayer) throws {
        HDF5.silenceErrors()
        try checkOpen()
        let base = "/samples/\(sample)/layers/\(layer.layer)"
        guard let positions = positionsBySample[sample] else {
            throw CaptureError.invalidWrite(file: path, reason: "\(base): call writeSample(index: \(sample), ...) first")
        }
        var problems: [String] = []
        if !(0..<header.numLayers).contains(layer.layer) { problems.append("layer \(layer.layer) is outside 0..<\(header.numLayers)") }
        if layer.numHeads != header.numHeads { problems.append("\(layer.numHeads) query heads, header says \(header.numHeads)") }
        if layer.numKVHeads != header.numKVHeads { problems.append("\(layer.numKVHeads) KV heads, header says \(header.numKVHeads)") }
        if layer.headDim != header.headDim { problems.append("head_dim \(layer.headDim), header says \(header.headDim)") }
        if layer.queryCount != positions.count { problems.append("\(layer.queryCount) queries for \(positions.count) query positions") }
        if let last = positions.last, last >= layer.tokenCount { problems.append("query position \(last) is not below T = \(layer.tokenCount)") }
        if let t = tokenCountBySample[sample], t != layer.tokenCount { problems.append("T = \(layer.tokenCount) but earlier layers have T = \(t)") }
        if layersBySample[sample]?.contains(layer.layer) == true { problems.append("this layer was already written") }
        guard problems.isEmpty else {
            throw CaptureError.invalidWrite(file: path, reason: base + ": " + problems.joined(separator: "; "))
        }
        // Check the data before creating anything, so a rejected layer can be fixed and written again.
        for (name, data) in [("keys", layer.keys), ("values", layer.values), ("queries", layer.queries)] {
            try checkStorable(data, datasetPath: base + "/" + name)
        }
        try createGroup(base)
        let group = H5Gopen2(fileID, base, HDF5.defaultPlist)
        guard group >= 0 else { throw CaptureError.hdf5Failure(file: path, path: base, operation: "open group") }
        defer { H5Gclose(group) }
        let kvDims = [layer.numKVHeads, layer.tokenCount, layer.headDim]
        try writeTensor(group, "keys", layer.keys, dims: kvDims, datasetPath: base + "/keys")
        try writeTensor(group, "values", layer.values, dims: kvDims, datasetPath: base + "/values")
        try writeTensor(group, "queries", layer.queries, dims: [layer.numHeads, layer.queryCount, layer.headDim],
                        datasetPath: base + "/queries")
        tokenCountBySample[sample] = layer.tokenCount
        layersBySample[sample, default: []].insert(layer.layer)
    }

    private func checkStorable(_ data: [Float], datasetPath: String) throws {
        if let bad = data.firstIndex(where: { !$0.isFinite }) {
            throw CaptureError.invalidWrite(file: path, reason: "\(datasetPath): element \(bad) is \(data[bad]); captures must be finite")
        }
        // Values beyond float16's range (±65504) would become infinite and fail the reader.
        if elementType == .float16, let bad = data.firstIndex(where: { abs($0) > Float(Float16.greatestFiniteMagnitude) }) {
            throw CaptureError.invalidWrite(
                file: path, reason: "\(datasetPath): element \(bad) = \(data[bad]) overflows float16; write float32")
        }
    }

    private func writeTensor(_ group: hid_t, _ name: String, _ data: [Float], dims: [Int], datasetPath: String) throws {
        switch elementType {
        case .float32:
            try data.withUnsafeBytes { raw in
                try HDF5.writeDataset(group, name, dims: dims, fileType: mp_H5T_IEEE_F32LE(), memType: mp_H5T_NATIVE_FLOAT(),
                                      data: raw.baseAddress!, file: path, path: datasetPath)
            }
        case .float16:
            let halves = data.map { Float16($0).bitPattern }
            let halfType = mp_create_float16_type()
            guard halfType >= 0 else { throw CaptureError.hdf5Failure(file: path, path: datasetPath, operation: "create float16 type for") }
            defer { H5Tclose(halfType) }
            try halves.withUnsafeBytes { raw in
                try HDF5.writeDataset(group, name, dims: dims, fileType: halfType, memType: halfType,
                                      data: raw.baseAddress!, file: path, path: datasetPath)
            }
        }
    }

    /// Checks every started sample has at least one layer, closes the file and renames it to `path`.
    public func finish() throws {
        HDF5.silenceErrors()
        try checkOpen()
        guard !positionsBySample.isEmpty else {
            throw CaptureError.invalidWrite(file: path, reason: "no samples were written")
        }
        if let empty = layersBySample.filter({ $0.value.isEmpty }).keys.min() {
            throw CaptureError.invalidWrite(file: path, reason: "/samples/\(empty) has no layers")
        }
        let closed = H5Fclose(fileID)
        fileID = -1
        guard closed >= 0 else {
            discard()
            throw CaptureError.hdf5Failure(file: path, path: temporaryPath, operation: "close")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw CaptureError.invalidWrite(file: path, reason: "renaming the finished temporary file failed: \(reason)")
        }
        finished = true
    }
}
