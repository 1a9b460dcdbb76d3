import Kernels

/// The gold documents and question of qa_1 / qa_2. RULER draws them from SQuAD and HotpotQA, which are not
/// available offline; this is a synthetic substitute in the same form: short factual paragraphs about
/// fictitious villages and people whose names are built from task-words.txt, so that no model can know the
/// answer without reading the document. It is not SQuAD or HotpotQA, and scores on it are not comparable to
/// RULER's published qa numbers; it keeps the retrieval structure (one or two gold documents among many
/// distractors) that makes qa sensitive to attention.
struct QAItem: Sendable, Equatable {
    var documents: [String]
    var question: String
    var answers: [String]
}

struct FictitiousFacts {
    let words: [String]

    static let placeEndings = ["ton", "ford", "bury", "wick", "field", "stead", "mouth", "ham", "worth", "dale"]
    static let surnameEndings = ["son", "ley", "well", "man", "by", "more", "wood", "ridge"]
    static let trades = ["wool", "salt", "timber", "pottery", "glassmaking", "cider", "lace", "shipbuilding",
                         "cheese", "rope making", "tin mining", "clockmaking"]
    static let professions = ["clockmaker", "surveyor", "stonemason", "cartographer", "brewer", "shipwright",
                              "apothecary", "weaver", "blacksmith", "printer", "bookbinder", "architect"]

    static func capitalized(_ word: String) -> String { word.prefix(1).uppercased() + word.dropFirst() }

    func place(_ rng: inout SeededGenerator) -> String {
        Self.capitalized(rng.element(of: words)) + rng.element(of: Self.placeEndings)
    }

    func person(_ rng: inout SeededGenerator) -> String {
        Self.capitalized(rng.element(of: words)) + " " + Self.capitalized(rng.element(of: words)) + rng.element(of: Self.surnameEndings)
    }

    /// `count` distinct place names.
    func places(_ count: Int, _ rng: inout SeededGenerator) -> [String] {
        var out: [String] = []
        while out.count < count {
            let name = place(&rng)
            if !out.contains(name) { out.append(name) }
        }
        return out
    }

    /// qa_1: one document about a village; the question asks for one of its five facts.
    func singleDocument(_ rng: inout SeededGenerator) -> QAItem {
        let names = places(2, &rng)
        let (village, market) = (names[0], names[1])
        let founder = person(&rng)
        let river = Self.capitalized(rng.element(of: words))
        let year = String(rng.integer(in: 1600...1899))
        let trade = rng.element(of: Self.trades)
        let document = villageDocument(village: village, founder: founder, year: year, river: river, market: market, trade: trade)
        let questions: [(String, String)] = [
            ("Who founded the village of \(village)?", founder),
            ("In which year was the village of \(village) founded?", year),
            ("On which river does the village of \(village) stand?", river),
            ("What is the nearest market town to the village of \(village)?", market),
            ("What has been the chief trade of the village of \(village) for most of its history?", trade),
        ]
        let (question, answer) = rng.element(of: questions)
        return QAItem(documents: [document], question: question, answers: [answer])
    }

    /// qa_2: a village document naming its founder and a document about that founder which does not name the
    /// village; the question asks for a fact of the founder, so the answer needs both documents.
    func multiHop(_ rng: inout SeededGenerator) -> QAItem {
        let names = places(4, &rng)
        let (village, market, birthplace, apprenticeship) = (names[0], names[1], names[2], names[3])
        let founder = person(&rng)
        let river = Self.capitalized(rng.element(of: words))
        let foundingYear = rng.integer(in: 1650...1899)
        let birthYear = String(foundingYear - rng.integer(in: 25...60))
        let trade = rng.element(of: Self.trades)
        let profession = rng.element(of: Self.professions)
        let villageText = villageDocument(village: village, founder: founder, year: String(foundingYear), river: river,
                                          market: market, trade: trade)
        let personText = "\(founder) was a \(profession) born in the town of \(birthplace) in \(birthYear). "
            + "As a young man \(founder) served an apprenticeship in \(apprenticeship), and in later life became known "
            + "across the county for careful work, long journeys on foot and a habit of keeping detailed diaries, "
            + "several volumes of which survive in a private collection."
        let questions: [(String, String)] = [
            ("In which town was the founder of the village of \(village) born?", birthplace),
            ("In which year was the founder of the village of \(village) born?", birthYear),
            ("What was the profession of the founder of the village of \(village)?", profession),
        ]
        let (question, answer) = rng.element(of: questions)
        return QAItem(documents: [villageText, personText], question: question, answers: [answer])
    }

    func villageDocument(village: String, founder: String, year: String, river: String, market: String, trade: String) -> String {
        "\(village) is a small village on the River \(river). It was founded in \(year) by \(founder), who built the "
            + "first mill and the stone bridge that still carries the road to \(market), the nearest market town. "
            + "For most of its history the village has lived from \(trade), and a fair is held on its green every autumn."
    }
}
