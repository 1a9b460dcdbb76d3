/// The real model in the loop (issue: "Real model in the loop"). Being built: GGUF reader and
/// dequantisers first; tokenizer, forward pass and decode loop follow.
public enum Engine {}
