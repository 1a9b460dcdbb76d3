import Testing
@testable import Approximators

@Suite struct RegistryTests {
    @Test func everyMethodIsRegistered() {
        #expect(ApproximatorRegistry.names == ["exact", "topk", "oracle_sampling", "magicpig", "streaming_llm"])
    }

    @Test func samplingMethodsDeclareTheySeedDependent() throws {
        let randomised = try ApproximatorRegistry.names.filter { name in
            let params: [String: ParameterValue] = ["topk", "oracle_sampling"].contains(name) ? ["budget": .double(0.1)] : [:]
            return try ApproximatorRegistry.make(name, params).isRandomized
        }
        #expect(randomised == ["oracle_sampling", "magicpig"])
    }

    @Test func defaultsAndParametersAreRecorded() throws {
        let pig = try ApproximatorRegistry.make("magicpig")
        #expect(pig.parameters == ["K": "10", "L": "150", "threshold": "2", "centering": "true", "projections": "shared"])
        let custom = try ApproximatorRegistry.make("magicpig", ["K": .int(8), "L": .int(75), "threshold": .int(1),
                                                                "centering": .bool(false), "projections": .string("per_kv_head")])
        #expect(custom.parameters == ["K": "8", "L": "75", "threshold": "1", "centering": "false", "projections": "per_kv_head"])
        #expect(try ApproximatorRegistry.make("topk", ["budget": .double(0.02)]).parameters == ["budget": "0.02", "static": "false"])
        #expect(try ApproximatorRegistry.make("topk", ["count": .int(64), "static": .bool(true)]).parameters
                == ["count": "64", "static": "true"])
        #expect(try ApproximatorRegistry.make("oracle_sampling", ["budget": .double(0.1)]).method == "oracle_sampling")
    }

    @Test func unknownMethod() {
        #expect(throws: ApproximatorError.unknownMethod("quest", valid: ApproximatorRegistry.names)) {
            try ApproximatorRegistry.make("quest")
        }
    }

    @Test func unknownParameter() {
        #expect(throws: ApproximatorError.unknownParameter(method: "topk", name: "budjet", valid: ["budget", "count", "static"])) {
            try ApproximatorRegistry.make("topk", ["budget": .double(0.1), "budjet": .double(0.1)])
        }
    }

    @Test(arguments: [0.0, -0.1, 1.5])
    func budgetOutsideUnitInterval(budget: Double) {
        for method in ["topk", "oracle_sampling"] {
            #expect(throws: ApproximatorError.self) { try ApproximatorRegistry.make(method, ["budget": .double(budget)]) }
            do {
                _ = try ApproximatorRegistry.make(method, ["budget": .double(budget)])
            } catch let ApproximatorError.badParameter(m, name, reason) {
                #expect(m == method && name == "budget" && reason.contains("(0, 1]"))
            } catch { Issue.record("unexpected \(error)") }
        }
    }

    @Test func budgetAndCountTogetherOrNeither() {
        #expect(throws: ApproximatorError.badParameter(method: "topk", name: "count",
                                                       reason: "give either budget (a fraction) or count (keys), not both")) {
            try ApproximatorRegistry.make("topk", ["budget": .double(0.1), "count": .int(4)])
        }
        #expect(throws: ApproximatorError.missingParameter(method: "topk", name: "budget")) {
            try ApproximatorRegistry.make("topk")
        }
        #expect(throws: ApproximatorError.unknownParameter(method: "oracle_sampling", name: "count", valid: ["budget", "static"])) {
            try ApproximatorRegistry.make("oracle_sampling", ["budget": .double(0.1), "count": .int(4)])
        }
    }

    @Test func magicpigBadValues() {
        #expect(throws: ApproximatorError.badParameter(method: "magicpig", name: "K", reason: "17 is outside 1...16")) {
            try ApproximatorRegistry.make("magicpig", ["K": .int(17)])
        }
        #expect(throws: ApproximatorError.badParameter(method: "magicpig", name: "threshold", reason: "3 is outside 1...2")) {
            try ApproximatorRegistry.make("magicpig", ["threshold": .int(3)])
        }
        #expect(throws: ApproximatorError.badParameter(method: "magicpig", name: "projections",
                                                       reason: "'per_layer' is not one of shared, per_kv_head")) {
            try ApproximatorRegistry.make("magicpig", ["projections": .string("per_layer")])
        }
        #expect(throws: ApproximatorError.badParameter(method: "magicpig", name: "centering",
                                                       reason: "expected true or false, got 1")) {
            try ApproximatorRegistry.make("magicpig", ["centering": .int(1)])
        }
        #expect(throws: ApproximatorError.self) { try MagicPIG(K: 0) }
    }
}
