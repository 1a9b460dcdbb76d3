import CHDF5
import Foundation

/// Reads a capture in format v1 (docs/capture-format.md) one layer at a time, so a capture
/// larger than memory still replays. Opening reads only the header and each sample's metadata
/// (prompt_tokens, query_positions, the layer list and every tensor's shape) and validates all
/// of it; `readLayer` reads and checks one layer's tensors.
///
/// Sendable: its state is immutable after init, and the HDF5 build it links is thread-safe (one
/// global lock), so several threads may call `readLayer` on one `CaptureFile`.
public final class CaptureFile: @unchecked Sendable {
    public let path: String
    public let header: CaptureHeader
    public let samples: [CaptureSampleInfo]

    private let fileID: hid_t
    private let sampleByIndex: [Int: Int]
    /// Element type of every tensor, found while validating shapes at open.
    private let kinds: [String: HDF5.FloatKind]

    public static let formatName = "magicpig-capture"
    public static let formatVersion = 1

    public init(path: String) throws {
        HDF5.silenceErrors()
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CaptureError.fileNotFound(file: path)
        }
        let signature = H5Fis_hdf5(path)
        guard signature > 0 else {
            // A file HDF5 cannot even probe is unreadable; a readable one without the signature is not HDF5.
            throw signature == 0 ? CaptureError.notHDF5(file: path) : CaptureError.unreadable(file: path)
        }
        let id = H5Fopen(path, mp_H5F_ACC_RDONLY(), HDF5.defaultPlist)
        guard id >= 0 else { throw CaptureError.unreadable(file: path) }
        do {
            let validator = CaptureValidator(file: path, fileID: id)
            let header = try validator.readHeader()
            let (samples, kinds) = try validator.readSamples(header: header)
            self.header = header
            self.samples = samples
            self.kinds = kinds
            self.sampleByIndex = Dictionary(uniqueKeysWithValues: samples.enumerated().map { ($1.index, $0) })
            self.fileID = id
        } catch {
            H5Fclose(id)
            throw error
        }
    }

    deinit { H5Fclose(fileID) }

    /// Metadata of `samples/<sample>`.
    public func sample(_ sample: Int) throws -> CaptureSampleInfo {
        guard let position = sampleByIndex[sample] else { throw CaptureError.noSuchSample(file: path, sample: sample) }
        return samples[position]
    }

    /// Reads keys, values and queries of one layer of one sample (`sample` is
    /// `CaptureSampleInfo.index`), converted to Float32, and checks that every element is finite.
    public func readLayer(sample: Int, layer: Int) throws -> CaptureLayer {
        HDF5.silenceErrors()
        let info = try self.sample(sample)
        guard info.layers.contains(layer) else { throw CaptureError.noSuchLayer(file: path, sample: sample, layer: layer) }
        let base = "/samples/\(sample)/layers/\(layer)"
        let t = info.tokenCount, s = info.queryPositions.count, d = header.headDim
        let keys = try readTensor(base + "/keys", dims: [header.numKVHeads, t, d])
        let values = try readTensor(base + "/values", dims: [header.numKVHeads, t, d])
        let queries = try readTensor(base + "/queries", dims: [header.numHeads, s, d])
        return CaptureLayer(
            layer: layer, tokenCount: t, queryCount: s, headDim: d, numHeads: header.numHeads,
            numKVHeads: header.numKVHeads, keys: keys, values: values, queries: queries)
    }

    private func readTensor(_ datasetPath: String, dims: [Int]) throws -> [Float] {
        let dataset = H5Dopen2(fileID, datasetPath, HDF5.defaultPlist)
        guard dataset >= 0 else { throw CaptureError.missingObject(file: path, path: datasetPath) }
        defer { H5Dclose(dataset) }
        let count = dims.reduce(1, *)
        guard let kind = kinds[datasetPath],
              let data = HDF5.readFloats(dataset, count: count, kind: kind)
        else { throw CaptureError.hdf5Failure(file: path, path: datasetPath, operation: "read") }
        if let bad = data.firstIndex(where: { !$0.isFinite }) {
            var index: [Int] = []
            var rest = bad
            for extent in dims.reversed() {
                index.append(rest % extent)
                rest /= extent
            }
            let value = data[bad].isNaN ? "nan" : (data[bad] > 0 ? "inf" : "-inf")
            throw CaptureError.nonFinite(file: path, path: datasetPath, index: index.reversed(), value: value)
        }
        return data
    }
}
