import CHDF5

/// Thin, typed access to the few HDF5 calls the capture format needs. Every function takes the
/// capture's file name and the object's path so a failure becomes a `CaptureError` that names
/// both; none of them prints (the caller silences HDF5's error stack per thread first).
enum HDF5 {
    static let defaultPlist: hid_t = mp_H5P_DEFAULT()

    /// HDF5 prints its error stack on failure unless told not to, and the setting is per thread
    /// in a thread-safe build, so every public entry point calls this.
    static func silenceErrors() { mp_silence_errors() }

    // MARK: Float element kinds

    enum FloatKind: Equatable {
        case float16, float32, float64
    }

    /// Describes an HDF5 type in the words an error message needs ("int64", "float16", "string").
    static func typeName(_ type: hid_t) -> String {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
        case H5T_FLOAT: return "float\(size * 8)"
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        case H5T_ENUM: return "enum"
        default: return "an unsupported type"
        }
    }

    // MARK: Links and names

    /// Whether every component of a relative `path` exists below `loc` (H5Lexists needs the parents to exist).
    static func exists(_ loc: hid_t, _ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += prefix.isEmpty ? String(part) : "/" + part
            if H5Lexists(loc, prefix, defaultPlist) <= 0 { return false }
        }
        return true
    }

    /// Names of the links in a group, in name order; nil if `loc` is not a readable group.
    static func childNames(_ group: hid_t) -> [String]? {
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else { return nil }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, defaultPlist)
            guard length >= 0 else { return nil }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            guard H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, defaultPlist) >= 0
            else { return nil }
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// Names of all attributes attached to `loc`.
    static func attributeNames(_ loc: hid_t) -> [String] {
        var names: [String] = []
        var i: hsize_t = 0
        while true {
            let length = H5Aget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, defaultPlist)
            if length < 0 { break }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            guard H5Aget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, defaultPlist) >= 0
            else { break }
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            i += 1
        }
        return names
    }

    // MARK: Attributes

    enum AttributeValue {
        case string(String)
        case integer(Int)
        case other
    }

    /// Reads a scalar (or one-element) string or integer attribute. Strings may be variable- or
    /// fixed-length (h5py writes the former for `str`, the latter for `numpy.bytes_`); integers
    /// of any width and sign are converted to Int by HDF5. Returns nil when the attribute is absent.
    static func readAttribute(_ loc: hid_t, _ name: String) -> AttributeValue? {
        guard H5Aexists(loc, name) > 0 else { return nil }
        let attr = H5Aopen(loc, name, defaultPlist)
        guard attr >= 0 else { return nil }
        defer { H5Aclose(attr) }
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        guard H5Sget_simple_extent_npoints(space) == 1 else { return .other }
        let type = H5Aget_type(attr)
        defer { H5Tclose(type) }
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            var value: Int64 = 0
            guard H5Aread(attr, mp_H5T_NATIVE_INT64(), &value) >= 0 else { return .other }
            return .integer(Int(value))
        case H5T_STRING:
            if H5Tis_variable_str(type) > 0 {
                let memType = H5Tcopy(mp_H5T_C_S1())
                defer { H5Tclose(memType) }
                H5Tset_size(memType, mp_H5T_VARIABLE())
                H5Tset_cset(memType, H5Tget_cset(type))
                var pointer: UnsafeMutablePointer<CChar>? = nil
                guard H5Aread(attr, memType, &pointer) >= 0 else { return .other }
                guard let pointer else { return .string("") }
                defer { H5free_memory(pointer) }
                return .string(String(cString: pointer))
            }
            let size = H5Tget_size(type)
            var bytes = [UInt8](repeating: 0, count: size + 1)
            guard H5Aread(attr, type, &bytes) >= 0 else { return .other }
            var end = bytes.firstIndex(of: 0) ?? size
            if H5Tget_strpad(type) == H5T_STR_SPACEPAD {
                while end > 0 && bytes[end - 1] == 0x20 { end -= 1 }
            }
            return .string(String(decoding: bytes[..<end], as: UTF8.self))
        default:
            return .other
        }
    }

    /// Writes a variable-length UTF-8 string attribute, as h5py does for a Python `str`.
    static func writeStringAttribute(_ loc: hid_t, _ name: String, _ value: String, file: String, path: String) throws {
        let type = H5Tcopy(mp_H5T_C_S1())
        defer { H5Tclose(type) }
        H5Tset_size(type, mp_H5T_VARIABLE())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attr = H5Acreate2(loc, name, type, space, defaultPlist, defaultPlist)
        guard attr >= 0 else { throw CaptureError.hdf5Failure(file: file, path: path, operation: "create attribute \(name) of") }
        defer { H5Aclose(attr) }
        let status = value.withCString { cString -> herr_t in
            var pointer: UnsafePointer<CChar>? = cString
            return H5Awrite(attr, type, &pointer)
        }
        guard status >= 0 else { throw CaptureError.hdf5Failure(file: file, path: path, operation: "write attribute \(name) of") }
    }

    /// Writes a scalar int64 attribute, as h5py does for a Python `int`.
    static func writeIntAttribute(_ loc: hid_t, _ name: String, _ value: Int, file: String, path: String) throws {
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attr = H5Acreate2(loc, name, mp_H5T_STD_I64LE(), space, defaultPlist, defaultPlist)
        guard attr >= 0 else { throw CaptureError.hdf5Failure(file: file, path: path, operation: "create attribute \(name) of") }
        defer { H5Aclose(attr) }
        var v = Int64(value)
        guard H5Awrite(attr, mp_H5T_NATIVE_INT64(), &v) >= 0 else {
            throw CaptureError.hdf5Failure(file: file, path: path, operation: "write attribute \(name) of")
        }
    }

    // MARK: Datasets

    struct DatasetShape {
        var dims: [Int]
        var typeClass: H5T_class_t
        var typeSize: Int
        var typeName: String

        var floatKind: FloatKind? {
            guard typeClass == H5T_FLOAT else { return nil }
            switch typeSize {
            case 2: return .float16
            case 4: return .float32
            case 8: return .float64
            default: return nil
            }
        }
    }

    /// Shape and element type of a dataset, without reading its data.
    static func shape(_ dataset: hid_t) -> DatasetShape? {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { return nil }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { return nil }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 { guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { return nil } }
        let type = H5Dget_type(dataset)
        guard type >= 0 else { return nil }
        defer { H5Tclose(type) }
        return DatasetShape(
            dims: dims.map { Int($0) }, typeClass: H5Tget_class(type), typeSize: H5Tget_size(type),
            typeName: typeName(type))
    }

    /// Reads a whole float dataset as Float32. float16 is read as raw half words and widened here
    /// (HDF5's own soft conversion of half floats is far slower than Swift's).
    static func readFloats(_ dataset: hid_t, count: Int, kind: FloatKind) -> [Float]? {
        var ok = true
        switch kind {
        case .float32:
            let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                ok = H5Dread(dataset, mp_H5T_NATIVE_FLOAT(), H5S_ALL, H5S_ALL, defaultPlist, buffer.baseAddress) >= 0
                if !ok { buffer.initialize(repeating: 0) }
                initialized = count
            }
            return ok ? result : nil
        case .float64:
            var doubles = [Double](repeating: 0, count: count)
            guard H5Dread(dataset, mp_H5T_NATIVE_DOUBLE(), H5S_ALL, H5S_ALL, defaultPlist, &doubles) >= 0 else { return nil }
            return doubles.map { Float($0) }
        case .float16:
            let halfType = mp_create_float16_type()
            guard halfType >= 0 else { return nil }
            defer { H5Tclose(halfType) }
            var halves = [UInt16](repeating: 0, count: count)
            guard H5Dread(dataset, halfType, H5S_ALL, H5S_ALL, defaultPlist, &halves) >= 0 else { return nil }
            return halves.withUnsafeBufferPointer { source in
                [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count { buffer[i] = Float(Float16(bitPattern: source[i])) }
                    initialized = count
                }
            }
        }
    }

    /// Reads a whole integer dataset as Int.
    static func readInts(_ dataset: hid_t, count: Int) -> [Int]? {
        var values = [Int64](repeating: 0, count: count)
        guard H5Dread(dataset, mp_H5T_NATIVE_INT64(), H5S_ALL, H5S_ALL, defaultPlist, &values) >= 0 else { return nil }
        return values.map { Int($0) }
    }

    /// Creates and fills a dataset. `fileType` is the stored element type, `memType` describes `data`.
    static func writeDataset(
        _ loc: hid_t, _ name: String, dims: [Int], fileType: hid_t, memType: hid_t,
        data: UnsafeRawPointer, file: String, path: String
    ) throws {
        var hdims = dims.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &hdims, nil)
        guard space >= 0 else { throw CaptureError.hdf5Failure(file: file, path: path, operation: "create the dataspace of") }
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(loc, name, fileType, space, defaultPlist, defaultPlist, defaultPlist)
        guard dataset >= 0 else { throw CaptureError.hdf5Failure(file: file, path: path, operation: "create") }
        defer { H5Dclose(dataset) }
        guard H5Dwrite(dataset, memType, H5S_ALL, H5S_ALL, defaultPlist, data) >= 0 else {
            throw CaptureError.hdf5Failure(file: file, path: path, operation: "write")
        }
    }
}
