/// Everything that can stop a RULER task from being generated; `description` says what to change.
public enum RulerTaskError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A task name that is not one of RULER's 13.
    case unknownTask(String)
    /// Even the smallest haystack does not fit: the prompt needs `minimumTokens` in all (answer room and
    /// chat-template overhead included).
    case targetTooSmall(task: RulerTask, targetTokens: Int, minimumTokens: Int)
    /// The offline data runs out before the prompt is full: the largest prompt it supports needs
    /// `maximumTokens`; `resource` names what would have to grow.
    case haystackTooShort(task: RulerTask, targetTokens: Int, maximumTokens: Int, resource: String)
    /// targetTokens, overheadTokens or a sample index that cannot be right (negative, or no room at all).
    case invalidArgument(String)
    /// A resource file of the Datasets target could not be read.
    case missingResource(String)

    public var description: String {
        switch self {
        case .unknownTask(let name):
            let valid = RulerTask.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown RULER task \"\(name)\"; valid names: \(valid)"
        case .targetTooSmall(let task, let target, let minimum):
            return "\(task.rawValue) does not fit in \(target) tokens: its smallest prompt needs \(minimum) tokens "
                + "(chat-template overhead and \(task.maxNewTokens) answer tokens included); raise targetTokens to at least \(minimum)"
        case .haystackTooShort(let task, let target, let maximum, let resource):
            return "\(task.rawValue) at \(target) tokens needs more haystack than \(resource) holds (it fills at most "
                + "\(maximum) tokens); lower targetTokens to \(maximum) or less, or extend \(resource) (scripts/make_task_words.py)"
        case .invalidArgument(let reason):
            return "invalid task generator argument: \(reason)"
        case .missingResource(let name):
            return "the Datasets resource \(name) could not be read; rebuild the package (its Resources folder is copied "
                + "into the magicpig_Datasets.resources bundle) or point MAGICPIG_TASK_RESOURCES at Sources/Datasets/Resources"
        }
    }
}
