import CHDF5

/// The metadata checks of format v1, run when a capture is opened: everything except the
/// tensors' values, which `CaptureFile.readLayer` checks as it reads them.
struct CaptureValidator {
    let file: String
    let fileID: hid_t

    func readHeader() throws -> CaptureHeader {
        let format = try string("format")
        guard format == CaptureFile.formatName else { throw CaptureError.wrongFormat(file: file, found: format) }
        let version = try integer("format_version")
        guard version == CaptureFile.formatVersion else { throw CaptureError.unsupportedVersion(file: file, found: version) }
        let header = CaptureHeader(
            model: try string("model"), numLayers: try integer("num_layers"), numHeads: try integer("num_heads"),
            numKVHeads: try integer("num_kv_heads"), headDim: try integer("head_dim"), extra: extraStrings())
        for (name, value) in [("num_layers", header.numLayers), ("num_heads", header.numHeads),
                              ("num_kv_heads", header.numKVHeads), ("head_dim", header.headDim)] where value < 1 {
            throw CaptureError.invalidHeader(file: file, reason: "\(name) is \(value) but must be at least 1")
        }
        guard header.numHeads % header.numKVHeads == 0 else {
            throw CaptureError.invalidHeader(
                file: file,
                reason: "num_heads \(header.numHeads) is not divisible by num_kv_heads \(header.numKVHeads); "
                    + "each KV head must serve the same number of query heads")
        }
        return header
    }

    private static let reserved: Set<String> = [
        "format", "format_version", "model", "num_layers", "num_heads", "num_kv_heads", "head_dim",
    ]

    private func extraStrings() -> [String: String] {
        var extra: [String: String] = [:]
        for name in HDF5.attributeNames(fileID) where !Self.reserved.contains(name) {
            if case .string(let value)? = HDF5.readAttribute(fileID, name) { extra[name] = value }
        }
        return extra
    }

    private func string(_ name: String, at loc: hid_t? = nil, path: String = "/") throws -> String {
        switch HDF5.readAttribute(loc ?? fileID, name) {
        case nil: throw CaptureError.missingAttribute(file: file, path: path, name: name)
        case .string(let value)?: return value
        default: throw CaptureError.wrongAttributeType(file: file, path: path, name: name, expected: "a string")
        }
    }

    private func integer(_ name: String, at loc: hid_t? = nil, path: String = "/") throws -> Int {
        switch HDF5.readAttribute(loc ?? fileID, name) {
        case nil: throw CaptureError.missingAttribute(file: file, path: path, name: name)
        case .integer(let value)?: return value
        default: throw CaptureError.wrongAttributeType(file: file, path: path, name: name, expected: "a scalar integer")
        }
    }

    /// Opens a group, or throws `missingObject` naming it.
    private func openGroup(_ path: String) throws -> hid_t {
        guard HDF5.exists(fileID, path) else { throw CaptureError.missingObject(file: file, path: path) }
        let group = H5Gopen2(fileID, path, HDF5.defaultPlist)
        guard group >= 0 else { throw CaptureError.missingObject(file: file, path: path) }
        return group
    }

    private func indexedChildren(of group: hid_t, path: String) throws -> [Int] {
        guard let names = HDF5.childNames(group) else { throw CaptureError.missingObject(file: file, path: path) }
        return try names.map { name in
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && $0.isNumber }), let index = Int(name),
                  String(index) == name
            else { throw CaptureError.invalidName(file: file, path: path + "/" + name) }
            return index
        }.sorted()
    }

    func readSamples(header: CaptureHeader) throws -> ([CaptureSampleInfo], [String: HDF5.FloatKind]) {
        let samplesGroup = try openGroup("/samples")
        defer { H5Gclose(samplesGroup) }
        let indices = try indexedChildren(of: samplesGroup, path: "/samples")
        guard !indices.isEmpty else { throw CaptureError.missingObject(file: file, path: "/samples/0") }
        var samples: [CaptureSampleInfo] = []
        var kinds: [String: HDF5.FloatKind] = [:]
        for index in indices {
            samples.append(try readSample(index, header: header, kinds: &kinds))
        }
        return (samples, kinds)
    }

    private func readSample(_ index: Int, header: CaptureHeader, kinds: inout [String: HDF5.FloatKind]) throws
        -> CaptureSampleInfo
    {
        let base = "/samples/\(index)"
        let group = try openGroup(base)
        defer { H5Gclose(group) }
        let promptTokens = try integer("prompt_tokens", at: group, path: base)
        let positionsPath = base + "/query_positions"
        let positions = try readPositions(positionsPath)

        let layersPath = base + "/layers"
        let layersGroup = try openGroup(layersPath)
        defer { H5Gclose(layersGroup) }
        let layers = try indexedChildren(of: layersGroup, path: layersPath)
        guard let firstLayer = layers.first else { throw CaptureError.missingObject(file: file, path: layersPath + "/0") }

        // T comes from the first layer's keys; every other tensor is checked against it and the header.
        let firstKeys = "\(layersPath)/\(firstLayer)/keys"
        let tokenCount = try tensorShape(firstKeys, expectedRank: 3, kinds: &kinds)[1]
        for layer in layers {
            let layerPath = "\(layersPath)/\(layer)"
            guard layer < header.numLayers else {
                throw CaptureError.layerOutOfRange(file: file, path: layerPath, layer: layer, numLayers: header.numLayers)
            }
            try checkLayer(layerPath, header: header, tokenCount: tokenCount, firstKeys: firstKeys,
                           positionsPath: positionsPath, queryCount: positions.count, kinds: &kinds)
        }

        if let last = positions.last, last >= tokenCount {
            throw CaptureError.invalidPositions(
                file: file, path: positionsPath,
                reason: "query position \(last) is not below T = \(tokenCount) (the length of \(firstKeys)); "
                    + "query s attends keys [0, position], so every position must be < T")
        }
        guard (1...tokenCount).contains(promptTokens) else {
            throw CaptureError.promptTokensOutOfRange(
                file: file, path: base, promptTokens: promptTokens, tokenCount: tokenCount)
        }
        return CaptureSampleInfo(
            index: index, promptTokens: promptTokens, queryPositions: positions, tokenCount: tokenCount, layers: layers)
    }

    private func readPositions(_ path: String) throws -> [Int] {
        guard HDF5.exists(fileID, path) else { throw CaptureError.missingObject(file: file, path: path) }
        let dataset = H5Dopen2(fileID, path, HDF5.defaultPlist)
        guard dataset >= 0 else { throw CaptureError.missingObject(file: file, path: path) }
        defer { H5Dclose(dataset) }
        guard let shape = HDF5.shape(dataset) else { throw CaptureError.hdf5Failure(file: file, path: path, operation: "inspect") }
        guard shape.dims.count == 1 else { throw CaptureError.wrongRank(file: file, path: path, expected: 1, found: shape.dims.count) }
        guard shape.typeClass == H5T_INTEGER else {
            throw CaptureError.wrongElementType(file: file, path: path, found: shape.typeName, expected: "integers (int64)")
        }
        guard shape.dims[0] > 0 else {
            throw CaptureError.invalidPositions(file: file, path: path, reason: "no query positions; a sample needs at least one query")
        }
        guard let positions = HDF5.readInts(dataset, count: shape.dims[0]) else {
            throw CaptureError.hdf5Failure(file: file, path: path, operation: "read")
        }
        for (s, position) in positions.enumerated() {
            if position < 0 {
                throw CaptureError.invalidPositions(file: file, path: path, reason: "position \(position) at index \(s) is negative")
            }
            if s > 0 && position <= positions[s - 1] {
                throw CaptureError.invalidPositions(
                    file: file, path: path,
                    reason: "position \(position) at index \(s) does not follow \(positions[s - 1]); positions must be strictly increasing")
            }
        }
        return positions
    }

    /// Dimensions of a float tensor, after checking it exists, has `expectedRank` and a float element type.
    private func tensorShape(_ path: String, expectedRank: Int, kinds: inout [String: HDF5.FloatKind]) throws -> [Int] {
        guard HDF5.exists(fileID, path) else { throw CaptureError.missingObject(file: file, path: path) }
        let dataset = H5Dopen2(fileID, path, HDF5.defaultPlist)
        guard dataset >= 0 else { throw CaptureError.missingObject(file: file, path: path) }
        defer { H5Dclose(dataset) }
        guard let shape = HDF5.shape(dataset) else { throw CaptureError.hdf5Failure(file: file, path: path, operation: "inspect") }
        guard shape.dims.count == expectedRank else {
            throw CaptureError.wrongRank(file: file, path: path, expected: expectedRank, found: shape.dims.count)
        }
        guard let kind = shape.floatKind else {
            throw CaptureError.wrongElementType(file: file, path: path, found: shape.typeName, expected: "float16, float32 or float64")
        }
        kinds[path] = kind
        return shape.dims
    }

    private func checkLayer(
        _ layerPath: String, header: CaptureHeader, tokenCount: Int, firstKeys: String,
        positionsPath: String, queryCount: Int, kinds: inout [String: HDF5.FloatKind]
    ) throws {
        let keysPath = layerPath + "/keys", valuesPath = layerPath + "/values", queriesPath = layerPath + "/queries"
        let keys = try tensorShape(keysPath, expectedRank: 3, kinds: &kinds)
        let values = try tensorShape(valuesPath, expectedRank: 3, kinds: &kinds)
        let queries = try tensorShape(queriesPath, expectedRank: 3, kinds: &kinds)
        func expect(_ path: String, _ what: String, _ found: Int, _ expected: Int, _ reference: String) throws {
            guard found == expected else {
                throw CaptureError.shapeMismatch(
                    file: file, path: path, what: what, found: found, expected: expected, reference: reference)
            }
        }
        for (path, dims) in [(keysPath, keys), (valuesPath, values)] {
            try expect(path, "KV heads", dims[0], header.numKVHeads, "the file header (num_kv_heads)")
            try expect(path, "channels per head", dims[2], header.headDim, "the file header (head_dim)")
        }
        try expect(keysPath, "tokens", keys[1], tokenCount, firstKeys)
        try expect(valuesPath, "tokens", values[1], keys[1], keysPath)
        try expect(queriesPath, "query heads", queries[0], header.numHeads, "the file header (num_heads)")
        try expect(queriesPath, "channels per head", queries[2], header.headDim, "the file header (head_dim)")
        try expect(queriesPath, "queries", queries[1], queryCount, positionsPath)
    }
}
