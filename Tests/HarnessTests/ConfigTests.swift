import Approximators
import Testing
@testable import Harness

@Suite struct ConfigTests {
    let quickstart = """
        name: quickstart
        captures: [captures/synthetic.h5]
        protocol: {sink: 4, local: 64, dense_layers: [0]}
        seeds: [0, 1, 2]
        methods:
          - {method: exact}
          - {method: topk, budget: 0.02}
          - {method: magicpig, K: [8, 9, 10, 11], L: [50, 100, 150, 200]}
        """

    @Test func parsesAndExpandsGrids() throws {
        let config = try ConfigParser.parse(yaml: quickstart)
        #expect(config.name == "quickstart")
        #expect(config.captures == ["captures/synthetic.h5"])
        #expect(config.attentionProtocol == AttentionProtocol(sinkTokens: 4, localWindow: 64))
        #expect(config.denseLayers == [0])
        #expect(config.seeds == [0, 1, 2])
        let configurations = try config.methodConfigurations()
        #expect(configurations.count == 1 + 1 + 16)
        #expect(configurations[0].id == "exact")
        #expect(configurations[1].id == "topk_budget0.02")
        #expect(configurations[2].id == "magicpig_K8_L50")
        #expect(configurations.last!.id == "magicpig_K11_L200")
        #expect(configurations[2].value("K") == "8" && configurations[2].value("L") == "50")
        #expect(Set(configurations.map(\.id)).count == configurations.count)
    }

    @Test func overridesReplaceFieldsBeforeDecoding() throws {
        let config = try ConfigParser.parse(yaml: quickstart, overrides: [
            "protocol.sink=8", "seeds=[5]", "methods[1].budget=[0.01, 0.04]", "name=other",
        ])
        #expect(config.attentionProtocol.sinkTokens == 8)
        #expect(config.attentionProtocol.localWindow == 64)
        #expect(config.seeds == [5])
        #expect(config.name == "other")
        let ids = try config.methodConfigurations().map(\.id)
        #expect(ids.contains("topk_budget0.01") && ids.contains("topk_budget0.04") && !ids.contains("topk_budget0.02"))
    }

    @Test func unknownMethodListsValidOnes() {
        let yaml = "name: x\ncaptures: [a.h5]\nmethods:\n  - {method: magicpog}\n"
        let error = #expect(throws: ConfigError.self) { try ConfigParser.parse(yaml: yaml) }
        #expect(error?.field == "methods[0]")
        #expect(error?.message.contains("magicpog") == true)
        #expect(error?.message.contains("exact") == true)
    }

    @Test func unknownParameterIsRejected() {
        let yaml = "name: x\ncaptures: [a.h5]\nmethods:\n  - {method: exact, budjet: 0.1}\n"
        let error = #expect(throws: ConfigError.self) { try ConfigParser.parse(yaml: yaml) }
        #expect(error?.message.contains("budjet") == true)
    }

    @Test(arguments: [
        ("name: [unclosed", ""),
        ("- just\n- a list\n", ""),
        ("captures: [a.h5]\nmethods: [{method: exact}]\n", "name"),
        ("name: x\nmethods: [{method: exact}]\n", "captures"),
        ("name: x\ncaptures: [a.h5]\n", "methods"),
        ("name: x\ncaptures: [a.h5]\nmethods: [{method: exact}]\nprotocl: {sink: 4}\n", "protocl"),
        ("name: x\ncaptures: [a.h5]\nmethods: [{method: exact}]\nprotocol: {sink: -1}\n", "protocol.sink"),
        ("name: x\ncaptures: [a.h5]\nmethods: [{method: exact}]\nseeds: [a]\n", "seeds[0]"),
        ("name: x/y\ncaptures: [a.h5]\nmethods: [{method: exact}]\n", "name"),
        ("name: x\ncaptures: [a.h5]\nmethods: [{budget: 1}]\n", "methods[0]"),
        ("name: x\nkind: plot\n", "kind"),
    ])
    func badConfigsNameTheField(yaml: String, field: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigParser.parse(yaml: yaml, file: "bad.yaml") }
        #expect(error?.field == field)
        #expect(error?.description.hasPrefix("bad.yaml: ") == true)
    }

    @Test func badOverrideIsReported() {
        #expect(throws: ConfigError.self) { try ConfigParser.parse(yaml: quickstart, overrides: ["protocol.sink"]) }
        #expect(throws: ConfigError.self) { try ConfigParser.parse(yaml: quickstart, overrides: ["methods[9].K=1"]) }
    }

    @Test func missingFileSaysSo() {
        let error = #expect(throws: ConfigError.self) { try ConfigParser.load(path: "/nonexistent/x.yaml") }
        #expect(error?.description.contains("/nonexistent/x.yaml") == true)
    }

    @Test func uCurveConfig() throws {
        let config = try ConfigParser.parse(yaml: "name: u\nkind: u_curve\npairs: [[8, 75], [10, 150]]\ncosine_step: 0.5\n")
        #expect(config.kind == .uCurve)
        let table = UCurve.table(config.uCurve)
        #expect(table.rows.count == 2 * 5)
        let row = table.rows.first { $0[0] == "10" && $0[3] == "0" }!
        #expect(abs(Double(row[4])! - samplingProbability(cosine: 0, K: 10, L: 150)) < 1e-6)
        #expect(abs(Double(row[4])! - 0.0097) < 5e-5)
    }
}
